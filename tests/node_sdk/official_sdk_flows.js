'use strict'
/*
 * The official Node.js SDK (@flittpayments/flitt-node-js-sdk 1.0.1), unchanged, against the
 * sandbox: every call it has, with protocol 1.0 JSON, 1.0 form and 2.0, plus the sequences in
 * which its sticky protocol state changes what goes on the wire.
 *
 *     NODE_PATH=$FLITT_NODE_SDK/node_modules node official_sdk_flows.js http://127.0.0.1:PORT
 *
 * Exit 0: every flow completed; 1: a flow failed; 3: the SDK is not importable (skip).
 *
 * The one change, equivalent to a base URL: the SDK takes only a host name (`baseUrl`) and
 * hard-codes https and port 443 (lib/index.js `_request`), so this process replaces
 * `https.request` with a function that sends the same request (method, path, headers and the
 * body as the SDK writes it, so chunked as it is over TLS) over plain http to the sandbox's
 * 127.0.0.1 port. Nothing of the SDK is patched. The replacement also records each exchange
 * (headers, body, reply) so the checks below can see what went over the wire.
 */
const http = require('http')
const https = require('https')

let FlittPay
try {
  FlittPay = require('@flittpayments/flitt-node-js-sdk')
} catch (e) {
  console.log('@flittpayments/flitt-node-js-sdk is not importable: ' + e.message)
  process.exit(3)
}

const MERCHANT_ID = 1549901
const SECRET_KEY = 'test'
const CREDIT_KEY = 'testcredit'
const APPROVE = '4444555511116666'
const APPROVE_3DS = '4444555566661111'
const DECLINE = '4444111155556666'

const base = new URL(process.argv[2])
/** Every exchange the SDK made, in order: {path, contentType, body, status, reply}. */
const wire = []

https.request = function (options, callback) {
  const record = {
    path: options.path,
    contentType: options.headers['Content-Type'],
    body: '',
    status: 0,
    reply: '',
    chunked: false
  }
  wire.push(record)
  const req = http.request({
    hostname: base.hostname,
    port: base.port,
    path: options.path,
    method: options.method,
    headers: options.headers,
    timeout: options.timeout
  }, (res) => {
    record.status = res.statusCode
    record.chunked = req.chunkedEncoding === true
    res.on('data', (chunk) => { record.reply += String(chunk) })
    callback(res)
  })
  const write = req.write.bind(req)
  req.write = (chunk, ...rest) => {
    record.body += String(chunk)
    return write(chunk, ...rest)
  }
  return req
}

class Failed extends Error {}

function check (label, got, want) {
  console.log(label.padEnd(64) + ' ' + JSON.stringify(got))
  if (JSON.stringify(got) !== JSON.stringify(want)) {
    throw new Failed(`${label}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`)
  }
}

function last () {
  return wire[wire.length - 1]
}

/** The fields of the last request as the SDK sent them: 1.0 JSON, 1.0 form or a 2.0 order. */
function sent () {
  const body = last().body
  if (!body.startsWith('{')) return Object.fromEntries(new URLSearchParams(body))
  const request = JSON.parse(body).request
  if (request.version === '2.0') return JSON.parse(Buffer.from(request.data, 'base64').toString()).order
  return request
}

/** The modes a client can be made in. */
const MODES = [
  { name: '1.0 json', protocol: '1.0', contentType: 'json' },
  { name: '1.0 form', protocol: '1.0', contentType: 'form' },
  { name: '2.0', protocol: '2.0', contentType: 'json' }
]

function client (mode) {
  return new FlittPay({
    protocol: mode.protocol,
    contentType: mode.contentType,
    merchantId: MERCHANT_ID,
    baseUrl: 'pay.flitt.com',
    secretKey: SECRET_KEY,
    creditKey: CREDIT_KEY
  })
}

/**
 * The reply's signature is right by the SDK's own `isValidResponse`: a 1.0 reply as the SDK
 * returned it, a 2.0 reply as its envelope on the wire (the SDK hands back the decoded order,
 * which carries no signature).
 */
function checkSigned (label, flitt, reply, credit = false) {
  const exchange = last()
  const sent2 = exchange.body.startsWith('{"request":{"version":"2.0"')
  if (sent2) {
    const envelope = JSON.parse(exchange.reply).response
    check(`${label}: isValidResponse(2.0 envelope)`, flitt.isValidResponse(envelope, credit), true)
  } else {
    check(`${label}: isValidResponse(reply)`, flitt.isValidResponse(reply, credit), true)
  }
}

/** Each exchange so far answered HTTP 200 (the SDK itself never looks). */
function checkStatuses () {
  const bad = wire.filter((w) => w.status !== 200)
  check('every exchange answered HTTP 200', bad.map((w) => `${w.path} ${w.status}`), [])
}

/** Posts the 3-D Secure form to the ACS as a browser does and reads PaRes and MD back. */
async function acs (acsUrl, pareq, md) {
  const form = new URLSearchParams({ PaReq: pareq, MD: md, TermUrl: 'https://shop.example/3ds' })
  const page = await post(acsUrl, form.toString(), 'application/x-www-form-urlencoded')
  const first = page.split('<form')[1] || ''
  const value = (name) => {
    const m = first.match(new RegExp(`name="${name}" value="([^"]*)"`))
    if (!m) throw new Failed(`the ACS page has no ${name}`)
    return m[1]
  }
  return { pares: value('PaRes'), md: value('MD') }
}

function post (url, body, contentType) {
  const u = new URL(url)
  return new Promise((resolve, reject) => {
    const req = http.request({
      hostname: u.hostname,
      port: u.port,
      path: u.pathname + u.search,
      method: 'POST',
      headers: { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) }
    }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c) => { text += c })
      res.on('end', () => resolve(text))
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** The merchant's callback endpoint: records every callback the sandbox delivers. */
function callbackServer () {
  const received = []
  const server = http.createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (c) => { body += c })
    req.on('end', () => {
      received.push({ path: req.url, contentType: req.headers['content-type'], body })
      res.writeHead(200, { 'Content-Type': 'text/plain' })
      res.end('OK')
    })
  })
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({ server, received, url: `http://127.0.0.1:${server.address().port}` })
    })
  })
}

/** Waits (at most about 10 s, in 50 ms steps) until `count` callbacks came to `path`. */
async function callbacksTo (received, path, count) {
  for (let i = 0; i < 200; i++) {
    const got = received.filter((r) => r.path === path)
    if (got.length >= count) return got
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Failed(`no callback to ${path}`)
}

function today () {
  return new Date().toISOString().slice(0, 10)
}

/** `DD.MM.YYYY HH:MM:SS` (as the sandbox writes order_time, UTC) as a Date. */
function orderTime (text) {
  const m = /^(\d\d)\.(\d\d)\.(\d{4}) (\d\d):(\d\d):(\d\d)$/.exec(text)
  if (!m) throw new Failed(`order_time ${text}`)
  return new Date(Date.UTC(+m[3], +m[2] - 1, +m[1], +m[4], +m[5], +m[6]))
}

async function flowsIn (mode, cb) {
  const tag = (s) => `[${mode.name}] ${s}`
  const hook = (name) => `${cb.url}/${mode.name.replace(/[ .]/g, '_')}/${name}`

  // Hosted checkout: a URL, a token, and a card verification with no amount (sent as 0) and
  // with one.
  let r = await client(mode).Checkout({ order_desc: 'node checkout', currency: 'GEL', amount: '1000' })
  check(tag('Checkout: checkout_url on the sandbox'), r.checkout_url.startsWith(base.origin + '/sandbox/checkout/'), true)
  check(tag('Checkout: response_status'), r.response_status, 'success')
  r = await client(mode).CheckoutToken({ order_desc: 'node token', currency: 'GEL', amount: 1000 })
  check(tag('CheckoutToken: a token'), typeof r.token === 'string' && r.token.length > 0, true)
  r = await client(mode).Verification({ order_desc: 'node verification', currency: 'GEL' })
  check(tag('Verification (no amount): the SDK sent amount 0'), String(sent().amount), '0')
  check(tag('Verification (no amount): checkout_url'), r.checkout_url.startsWith(base.origin), true)
  r = await client(mode).Verification({ order_desc: 'node verification', currency: 'GEL', amount: 100, verification_type: 'code' })
  check(tag('Verification (amount 100): checkout_url'), r.checkout_url.startsWith(base.origin), true)

  // A direct card payment on hold with a saved card: step one, status, capture, refund.
  const flitt = client(mode)
  const held = await flitt.PciDssOne({
    order_desc: 'node hold',
    currency: 'GEL',
    amount: '1000',
    card_number: APPROVE,
    cvv2: '333',
    expiry_date: '1232',
    preauth: 'Y',
    required_rectoken: 'Y',
    server_callback_url: hook('held')
  })
  check(tag('PciDssOne (no 3DS): order_status'), held.order_status, 'approved')
  checkSigned(tag('PciDssOne'), flitt, held)
  r = await flitt.Status({ order_id: held.order_id })
  check(tag('Status: order_status'), r.order_status, 'approved')
  check(tag('Status: amount'), r.amount, '1000')
  check(tag('Status: masked_card'), r.masked_card, '444455XXXXXX6666')
  checkSigned(tag('Status'), flitt, r)
  const heldTime = r.order_time
  r = await flitt.Capture({ order_id: held.order_id, amount: '1000', currency: 'GEL' })
  check(tag('Capture: capture_status'), r.capture_status, 'captured')
  check(tag('Capture: response_status'), r.response_status, 'success')
  r = await flitt.Reverse({ order_id: held.order_id, amount: '400', currency: 'GEL' })
  check(tag('Reverse (part): reverse_status'), r.reverse_status, 'approved')
  check(tag('Reverse (part): reversal_amount'), r.reversal_amount, '400')
  checkSigned(tag('Reverse'), flitt, r)

  // Its transactions (TransactionList always goes as 1.0: on a 2.0 client it switches the
  // client to 1.0, see the sequences below). A form reply cannot carry a list: the sandbox
  // answers JSON, which the SDK's form parser cannot read, so the wire is checked instead.
  const list = await client(mode).TransactionList({ order_id: held.order_id })
  const items = mode.contentType === 'form' ? JSON.parse(last().reply).response : list
  check(tag('TransactionList: a list'), Array.isArray(items), true)
  check(tag('TransactionList: purchase, capture, refund approved'),
    items.map((t) => t.transaction_status), ['approved', 'approved', 'approved'])

  // A repeat payment by the saved card.
  r = await flitt.Recurring({ order_desc: 'node again', currency: 'GEL', amount: '700', rectoken: held.rectoken })
  check(tag('Recurring: order_status'), r.order_status, 'approved')
  check(tag('Recurring: masked_card'), r.masked_card, '444455XXXXXX6666')
  checkSigned(tag('Recurring'), flitt, r)

  // A split of a captured payment (Settlement always goes as 2.0 and leaves the client in 2.0).
  const captured = await flitt.PciDssOne({
    order_desc: 'node to split',
    currency: 'GEL',
    amount: 1000,
    card_number: APPROVE,
    cvv2: '333',
    expiry_date: '1232'
  })
  check(tag('PciDssOne (to split): order_status'), captured.order_status, 'approved')
  const splitter = client(mode)
  r = await splitter.Settlement({
    order_type: 'settlement',
    operation_id: captured.order_id,
    order_id: `${MERCHANT_ID}_split_${captured.order_id.slice(-12)}`,
    order_desc: 'node split',
    currency: 'GEL',
    amount: 1000,
    receiver: [
      { type: 'merchant', requisites: { amount: 500, merchant_id: 600001 } },
      { type: 'merchant', requisites: { amount: 500, merchant_id: 700001 } }
    ]
  })
  check(tag('Settlement: response_status'), r.response_status, 'success')
  check(tag('Settlement: parent_order_id'), r.parent_order_id, captured.order_id)
  checkSigned(tag('Settlement'), splitter, r)

  // 3-D Secure: step one answers a challenge, the ACS page authenticates, step two pays.
  // The challenge reply carries no order_id: the SDK wrote the one it generated into the
  // request object.
  const challenge = {
    order_desc: 'node 3ds',
    currency: 'GEL',
    amount: '1000',
    card_number: APPROVE_3DS,
    cvv2: '333',
    expiry_date: '1232',
    server_callback_url: hook('three_ds')
  }
  const pending = await flitt.PciDssOne(challenge)
  check(tag('PciDssOne (3DS): acs_url on the sandbox'), pending.acs_url, base.origin + '/sandbox/acs')
  const { pares, md } = await acs(pending.acs_url, pending.pareq, pending.md)
  r = await flitt.PciDssTwo({ order_id: challenge.order_id, pares, md })
  check(tag('PciDssTwo: order_status'), r.order_status, 'approved')
  checkSigned(tag('PciDssTwo'), flitt, r)

  // A declined card comes back as a declined order, not an error.
  r = await flitt.PciDssOne({ order_desc: 'node decline', currency: 'GEL', amount: '1000', card_number: DECLINE, cvv2: '333', expiry_date: '1232' })
  check(tag('PciDssOne (declined card): order_status'), r.order_status, 'declined')

  // Payouts, signed with the credit key: to a card number and to the saved card.
  const payer = client(mode)
  r = await payer.P2pcredit({ order_desc: 'node payout', currency: 'GEL', amount: '300', receiver_card_number: APPROVE, server_callback_url: hook('payout') })
  check(tag('P2pcredit (card number): order_status'), r.order_status, 'approved')
  checkSigned(tag('P2pcredit'), payer, r, true)
  r = await payer.P2pcredit({ order_desc: 'node payout', currency: 'GEL', amount: 300, receiver_rectoken: held.rectoken })
  check(tag('P2pcredit (saved card): order_status'), r.order_status, 'approved')

  // A subscription (Subscription always goes as 2.0 JSON and leaves the client so), stopped
  // and started again both by that client and by a fresh one in this mode.
  // Subscription generates no order_id (the other creating calls do): the caller passes one,
  // as the SDK's own example does.
  const subscription = `${MERCHANT_ID}_sub_${held.order_id.slice(-16)}`
  const subscriber = client(mode)
  r = await subscriber.Subscription({
    order_id: subscription,
    order_desc: 'node subscription',
    currency: 'GEL',
    amount: 1000,
    recurring_data: { every: 5, period: 'day', amount: 1000, start_time: today(), state: 'y', Readonly: 'n' }
  })
  check(tag('Subscription: checkout_url'), r.checkout_url.startsWith(base.origin), true)
  r = await client(mode).SubscriptionActions({ order_id: subscription, action: 'stop' })
  check(tag('SubscriptionActions stop'), r.status, 'disabled')
  r = await client(mode).SubscriptionActions({ order_id: subscription, action: 'start' })
  check(tag('SubscriptionActions start'), r.status, 'active')
  r = await subscriber.SubscriptionActions({ order_id: subscription, action: 'stop' })
  check(tag('SubscriptionActions stop (after Subscription: 2.0)'), r.status, 'disabled')

  // The legacy report over the last hour, as the SDK's own example asks for it (Date objects,
  // sent in UTC): it lists exactly the orders whose order_time lies in the range.
  const now = new Date()
  const hourAgo = new Date(now.getTime() - 3600 * 1000)
  r = await client(mode).Reports({ date_from: hourAgo, date_to: now })
  const report = mode.contentType === 'form' ? JSON.parse(last().reply).response : r
  check(tag('Reports: a list'), Array.isArray(report), true)
  const heldAt = orderTime(heldTime)
  const inRange = heldAt >= new Date(Math.floor(hourAgo / 1000) * 1000) && heldAt <= now
  check(tag(`Reports (today): lists the order of ${heldTime} iff in range`),
    report.some((o) => o.order_id === held.order_id), inRange)
  if (!inRange) todayNotListed.push(heldTime)
  // And over the hour around that order's own order_time: it is listed.
  r = await client(mode).Reports({ date_from: new Date(heldAt - 1800 * 1000), date_to: new Date(heldAt.getTime() + 1800 * 1000) })
  const around = mode.contentType === 'form' ? JSON.parse(last().reply).response : r
  check(tag('Reports (around its order_time): lists the held order'), around.some((o) => o.order_id === held.order_id), true)

  // The server callbacks, by the SDK's own check (a callback of an order created in 2.0 is a
  // 2.0 envelope, which `isValidResponse` checks over its `data`).
  for (const name of ['held', 'three_ds', 'payout']) {
    const [got] = await callbacksTo(cb.received, new URL(hook(name)).pathname, 1)
    const body = JSON.parse(got.body)
    check(tag(`callback ${name}: isValidResponse`), flitt.isValidResponse(body, name === 'payout'), true)
  }
}

/** The sequences in which the SDK's sticky protocol changes what it sends. */
async function stickySequences () {
  // A form client after Settlement sends Status as a 2.0 JSON envelope under its form
  // Content-Type.
  const form = client(MODES[1])
  const paid = await form.PciDssOne({ order_desc: 'sticky', currency: 'GEL', amount: '500', card_number: APPROVE, cvv2: '333', expiry_date: '1232' })
  await form.Settlement({
    operation_id: paid.order_id,
    order_id: `${MERCHANT_ID}_sticky_${paid.order_id.slice(-12)}`,
    order_desc: 'sticky split',
    currency: 'GEL',
    amount: '500',
    order_type: 'settlement',
    receiver: [{ type: 'merchant', requisites: { amount: 500, merchant_id: 600001 } }]
  })
  const r = await form.Status({ order_id: paid.order_id })
  check('[form, Settlement then Status] sent as', [last().contentType, last().body.slice(0, 27)],
    ['Content-type: application/x-www-form-urlencoded', '{"request":{"version":"2.0"'])
  check('[form, Settlement then Status] order_status', r.order_status, 'approved')

  // A 2.0 client after TransactionList sends Checkout as 1.0 JSON.
  const v2 = client(MODES[2])
  await v2.TransactionList({ order_id: paid.order_id })
  const c = await v2.Checkout({ order_desc: 'sticky', currency: 'GEL', amount: '100' })
  check('[2.0, TransactionList then Checkout] sent as 1.0 JSON', [sent().version, typeof sent().signature, sent().order_desc], [undefined, 'string', 'sticky'])
  check('[2.0, TransactionList then Checkout] checkout_url', c.checkout_url.startsWith(base.origin), true)
}

/** Orders whose order_time is not today: the sandbox's clock is not the wall clock. */
const todayNotListed = []

async function main () {
  const cb = await callbackServer()
  try {
    for (const mode of MODES) {
      await flowsIn(mode, cb)
    }
    await stickySequences()
    checkStatuses()
    check('every request body went chunked, as the SDK writes it', wire.filter((w) => !w.chunked).map((w) => w.path), [])
    check('the SDK sent the Content-Type header value it documents',
      [...new Set(wire.map((w) => w.contentType))].sort(),
      ['Content-type: application/json; charset=utf-8', 'Content-type: application/x-www-form-urlencoded'])
  } finally {
    cb.server.close()
  }
  if (todayNotListed.length > 0) {
    console.log(`note: today's report does not list orders of ${todayNotListed[0]}: the sandbox's clock is not today`)
  }
  console.log(`${wire.length} exchanges`)
  console.log('all flows completed')
}

main().then(() => process.exit(0), (e) => {
  if (e.response) console.log('the sandbox refused: ' + JSON.stringify(e.response))
  console.log('FAILED: ' + (e instanceof Failed ? e.message : e.stack))
  if (wire.length > 0) {
    const w = last()
    console.log(`last exchange: ${w.path} [${w.contentType}] ${w.body.slice(0, 400)}\n  -> ${w.status} ${w.reply.slice(0, 400)}`)
  }
  process.exit(1)
})
