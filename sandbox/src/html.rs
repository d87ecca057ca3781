//! HTML for the sandbox's pages (checkout, ACS, dashboard): the one escaping function every
//! page uses for every value it did not write itself, and the shared page shell with its small
//! inline stylesheet. Server-rendered; no front-end build.

/// `s` safe to put in HTML text and in a quoted attribute value: `&`, `<`, `>`, `"` and `'`
/// become entities. Every value a page shows that it did not write itself (order ids,
/// descriptions, merchant answers, URLs, errors) goes through here.
pub(crate) fn escape(s: &str) -> String {
    flitt::checkout_form::html_escape(s)
}

/// `s` as one URL path segment: every byte but the unreserved ones (`A-Z a-z 0-9 - . _ ~`)
/// percent-encoded, so an order id with `/`, `?` or `#` stays one segment.
pub(crate) fn path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An http or https URL with a host, as given, for a link or a form's action; anything else
/// (`javascript:`, `data:`, relative) is `None`.
pub(crate) fn http_url(url: &str) -> Option<String> {
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => Some(u.to_string()),
        _ => None,
    }
}

/// The stylesheet every page shares.
const STYLE: &str = "\
*{box-sizing:border-box}\
body{margin:0;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d2433;background:#f3f5f9}\
header{background:#14213d;color:#fff;padding:12px 24px;display:flex;gap:16px;align-items:baseline;flex-wrap:wrap}\
header a{color:#fff;text-decoration:none;font-weight:600}\
header .tag{font-size:12px;background:#fca311;color:#14213d;border-radius:4px;padding:1px 6px;font-weight:700}\
main{max-width:1100px;margin:24px auto;padding:0 16px}\
main.narrow{max-width:460px}\
.card{background:#fff;border-radius:10px;box-shadow:0 1px 3px rgba(20,33,61,.15);padding:20px 24px;margin-bottom:20px}\
h1{font-size:22px;margin:0 0 8px}h2{font-size:17px;margin:0 0 12px}\
.amount{font-size:30px;font-weight:700;margin:4px 0 2px}\
.muted{color:#5c667a;font-size:13px}\
label{display:block;font-size:13px;font-weight:600;margin:10px 0 4px}\
input,select{width:100%;padding:9px 10px;border:1px solid #c5cbd6;border-radius:6px;font:inherit}\
.row{display:flex;gap:12px}.row>*{flex:1}\
button{background:#2563eb;color:#fff;border:0;border-radius:6px;padding:10px 16px;font:inherit;font-weight:600;cursor:pointer}\
button.secondary{background:#e5e9f0;color:#1d2433}button.danger{background:#b42318}\
.actions{display:flex;gap:12px;align-items:center;margin-top:16px;flex-wrap:wrap}\
form.inline{display:inline-flex;gap:6px;align-items:center;margin:0}\
form.inline input,form.inline select{width:auto}\
table{width:100%;border-collapse:collapse;font-size:14px}\
th,td{text-align:left;padding:7px 8px;border-bottom:1px solid #e5e9f0;vertical-align:top}\
th{font-size:12px;text-transform:uppercase;letter-spacing:.03em;color:#5c667a}\
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}\
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:13px}\
.status{display:inline-block;border-radius:10px;padding:1px 8px;font-size:12px;font-weight:600;background:#e5e9f0}\
.s-approved{background:#d1fadf;color:#05603a}.s-declined,.s-expired{background:#fee4e2;color:#912018}\
.s-processing{background:#fef0c7;color:#93370d}.s-reversed{background:#e0eaff;color:#2d31a6}\
ul.cards{list-style:none;padding:0;margin:8px 0 0}\
ul.cards li{display:flex;justify-content:space-between;gap:8px;padding:5px 0;border-bottom:1px solid #eef1f5;font-size:13px}\
ul.cards button{background:none;color:#2563eb;padding:0;font-family:ui-monospace,monospace;font-size:13px}\
.error{background:#fee4e2;color:#912018;border-radius:6px;padding:10px 12px}\
";

/// A whole page: `title` (escaped here), a header naming the sandbox, and `body` (HTML the
/// caller built, every outside value in it already escaped). `narrow` centres a small
/// column, as payment pages are.
pub(crate) fn page(title: &str, narrow: bool, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title}</title><style>{STYLE}</style></head><body>\
         <header><a href=\"/\">Flitt sandbox</a><span class=\"tag\">TEST MODE</span></header>\
         <main{class}>{body}</main></body></html>",
        title = escape(title),
        class = if narrow { " class=\"narrow\"" } else { "" },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
        assert_eq!(escape("plain 10.20 GEL"), "plain 10.20 GEL");
        assert_eq!(escape("ünïcödé"), "ünïcödé");
    }

    #[test]
    fn path_segments_keep_one_segment() {
        assert_eq!(path_segment("order-1_a.b~"), "order-1_a.b~");
        assert_eq!(path_segment("a/b?c#d e"), "a%2Fb%3Fc%23d%20e");
        assert_eq!(path_segment("<x>"), "%3Cx%3E");
        assert_eq!(path_segment("é"), "%C3%A9");
    }

    #[test]
    fn only_http_urls_are_links() {
        assert!(http_url("https://shop.test/back?x=1").is_some());
        assert!(http_url("http://127.0.0.1:9/").is_some());
        for bad in [
            "javascript:alert(1)",
            "data:text/html,x",
            "/relative",
            "ftp://x/",
        ] {
            assert_eq!(http_url(bad), None, "{bad}");
        }
    }
}
