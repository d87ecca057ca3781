//! A virtual clock: seconds since the sandbox started, advanced by tests, so order lifetimes
//! and the callback retry schedule can be exercised without waiting.
//!
//! Virtual time 0 is a moment in UTC: by default the wall-clock time when the sandbox started
//! (so `order_time` is today and a report over today's dates lists today's orders), or a fixed
//! one for reproducible tests ([`SandboxBuilder::start_time`](crate::SandboxBuilder::start_time)).
//! Every date the sandbox writes (`order_time`, report dates, fiscal `processed_date`) and
//! every date it reads (legacy report ranges, a subscription's `start_time`) is converted
//! through that one start.

use std::sync::atomic::{AtomicU64, Ordering};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

/// The virtual clock.
#[derive(Debug)]
pub struct Clock {
    /// Unix seconds (UTC) of virtual time 0, between [`FIRST`] and [`LAST`].
    start: i64,
    seconds: AtomicU64,
}

/// 0001-01-01 00:00:00 UTC in Unix seconds: the earliest start (and date written).
const FIRST: i64 = -62_135_596_800;
/// 9999-12-31 23:59:59 UTC in Unix seconds: the latest start (and date written).
const LAST: i64 = 253_402_300_799;

impl Default for Clock {
    /// A clock starting now ([`Clock::starting_now`]).
    fn default() -> Self {
        Self::starting_now()
    }
}

impl Clock {
    /// A clock whose time 0 is `unix_seconds` (UTC), kept within 0001-01-01 00:00:00 ..=
    /// 9999-12-31 23:59:59.
    pub fn starting_at(unix_seconds: i64) -> Self {
        Self {
            start: unix_seconds.clamp(FIRST, LAST),
            seconds: AtomicU64::new(0),
        }
    }

    /// A clock whose time 0 is the wall-clock time now, in whole seconds.
    pub fn starting_now() -> Self {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(LAST));
        Self::starting_at(now)
    }

    /// The Unix seconds (UTC) of a calendar date and time of day; `None` when there is no
    /// such moment (a 31 February, an hour 24).
    pub fn unix_seconds(year: u16, month: u8, day: u8, hms: (u8, u8, u8)) -> Option<i64> {
        let date = Month::try_from(month)
            .and_then(|m| Date::from_calendar_date(i32::from(year), m, day))
            .ok()?;
        let time = Time::from_hms(hms.0, hms.1, hms.2).ok()?;
        Some(
            PrimitiveDateTime::new(date, time)
                .assume_utc()
                .unix_timestamp(),
        )
    }

    /// The Unix seconds (UTC) of virtual time 0.
    pub fn start(&self) -> i64 {
        self.start
    }

    /// Seconds since the sandbox started.
    pub fn now(&self) -> u64 {
        self.seconds.load(Ordering::SeqCst)
    }

    /// Moves the clock forward (it stops at `u64::MAX` rather than wrap); the new time.
    pub fn advance(&self, seconds: u64) -> u64 {
        let before = self
            .seconds
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |s| {
                Some(s.saturating_add(seconds))
            })
            .unwrap_or_else(|s| s);
        before.saturating_add(seconds)
    }

    /// Back to time 0: the start, not the wall-clock time of the reset.
    pub(crate) fn reset(&self) {
        self.seconds.store(0, Ordering::SeqCst);
    }

    /// The UTC date and time of a virtual time (negative: before the start), within
    /// 0001-01-01 00:00:00 ..= 9999-12-31 23:59:59.
    fn utc(&self, at: i64) -> PrimitiveDateTime {
        let unix = self.start.saturating_add(at).clamp(FIRST, LAST);
        OffsetDateTime::from_unix_timestamp(unix).map_or(PrimitiveDateTime::MAX, |t| {
            PrimitiveDateTime::new(t.date(), t.time())
        })
    }

    /// `DD.MM.YYYY hh:mm:ss` (UTC) for a virtual time, as Flitt writes `order_time`. A time
    /// past 9999-12-31 23:59:59 reads as that last second.
    pub fn order_time(&self, at: u64) -> String {
        // Virtual time moves only when advanced, so most requests ask for the same second:
        // the last text is remembered per thread, with the start and time it was written for.
        thread_local! {
            static LAST: std::cell::RefCell<Option<(i64, u64, String)>> =
                const { std::cell::RefCell::new(None) };
        }
        LAST.with_borrow_mut(|last| match last {
            Some((start, when, text)) if *start == self.start && *when == at => text.clone(),
            _ => {
                let text = self.write_order_time(at);
                *last = Some((self.start, at, text.clone()));
                text
            }
        })
    }

    /// [`Clock::order_time`], written out.
    fn write_order_time(&self, at: u64) -> String {
        let t = self.utc(i64::try_from(at).unwrap_or(i64::MAX));
        format!(
            "{:02}.{:02}.{:04} {:02}:{:02}:{:02}",
            t.day(),
            u8::from(t.month()),
            t.year(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }

    /// `YYYY-MM-DD hh:mm:ss` (UTC) for a virtual time, negative before the start, as the
    /// Reports API writes its dates.
    pub fn iso_time(&self, at: i64) -> String {
        let t = self.utc(at);
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }

    /// Milliseconds since the Unix epoch for a virtual time, as the fiscal receipts write
    /// `processed_date`.
    pub fn unix_millis(&self, at: u64) -> i64 {
        i64::try_from(at)
            .ok()
            .and_then(|s| self.start.checked_add(s))
            .and_then(|s| s.checked_mul(1000))
            .unwrap_or(i64::MAX)
    }

    /// The virtual time of a UTC calendar date and time of day: negative before the start.
    /// The callers pass a `flitt::types::Date`'s parts, which always exist; a moment that does
    /// not reads as the start (0).
    pub fn at_utc(&self, year: u16, month: u8, day: u8, hms: (u8, u8, u8)) -> i64 {
        Self::unix_seconds(year, month, day, hms).map_or(0, |unix| unix - self.start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-01-01 00:00:00 UTC.
    const NEW_YEAR_2026: i64 = 1_767_225_600;

    #[test]
    fn calendar_conversions() {
        assert_eq!(Clock::unix_seconds(1970, 1, 1, (0, 0, 0)), Some(0));
        assert_eq!(
            Clock::unix_seconds(2026, 1, 1, (0, 0, 0)),
            Some(NEW_YEAR_2026)
        );
        assert_eq!(Clock::unix_seconds(1, 1, 1, (0, 0, 0)), Some(FIRST));
        assert_eq!(Clock::unix_seconds(9999, 12, 31, (23, 59, 59)), Some(LAST));
        assert_eq!(Clock::unix_seconds(2026, 2, 30, (0, 0, 0)), None);
        assert_eq!(Clock::unix_seconds(2026, 13, 1, (0, 0, 0)), None);
        assert_eq!(Clock::unix_seconds(2026, 1, 1, (24, 0, 0)), None);
        let clock = Clock::starting_at(NEW_YEAR_2026);
        assert_eq!(clock.at_utc(2026, 1, 1, (0, 0, 0)), 0);
        assert_eq!(clock.at_utc(2026, 3, 1, (0, 0, 0)), 59 * 86_400);
        assert_eq!(clock.at_utc(2025, 12, 31, (23, 59, 59)), -1);
        // Leap years by the Gregorian rules: 2028 is one, 2100 is not, 2000 was.
        assert_eq!(
            clock.at_utc(2029, 1, 1, (0, 0, 0)),
            (365 + 365 + 366) * 86_400
        );
        assert_eq!(
            clock.at_utc(2100, 3, 1, (0, 0, 0)) - clock.at_utc(2100, 2, 28, (0, 0, 0)),
            86_400
        );
        assert_eq!(
            clock.at_utc(2000, 1, 1, (0, 0, 0)),
            -(26 * 365 + 7) * 86_400
        );
        assert_eq!(clock.at_utc(2026, 2, 30, (0, 0, 0)), 0);
    }

    #[test]
    fn advances_saturate_and_reset_goes_back_to_the_start() {
        let clock = Clock::starting_at(NEW_YEAR_2026);
        assert_eq!(clock.advance(10), 10);
        assert_eq!(clock.advance(u64::MAX), u64::MAX);
        assert_eq!(clock.now(), u64::MAX);
        clock.reset();
        assert_eq!(clock.now(), 0);
        assert_eq!(clock.order_time(clock.now()), "01.01.2026 00:00:00");
    }

    #[test]
    fn a_remembered_order_time_is_only_reused_for_the_same_start_and_second() {
        let (a, b) = (
            Clock::starting_at(NEW_YEAR_2026),
            Clock::starting_at(NEW_YEAR_2026 + 60),
        );
        for _ in 0..2 {
            assert_eq!(a.order_time(5), "01.01.2026 00:00:05");
            assert_eq!(a.order_time(5), "01.01.2026 00:00:05");
            assert_eq!(b.order_time(5), "01.01.2026 00:01:05");
            assert_eq!(b.order_time(6), "01.01.2026 00:01:06");
        }
    }

    #[test]
    fn times_are_written_from_the_start() {
        let clock = Clock::starting_at(NEW_YEAR_2026);
        assert_eq!(clock.order_time(0), "01.01.2026 00:00:00");
        assert_eq!(clock.order_time(59 * 86_400 + 3_661), "01.03.2026 01:01:01");
        assert_eq!(clock.order_time(86_399), "01.01.2026 23:59:59");
        // 2028-02-29 exists: 365 + 365 + 31 + 28 days on.
        assert_eq!(
            clock.order_time((365 + 365 + 31 + 28) * 86_400),
            "29.02.2028 00:00:00"
        );
        assert_eq!(clock.order_time(u64::MAX), "31.12.9999 23:59:59");
        assert_eq!(clock.iso_time(-1), "2025-12-31 23:59:59");
        assert_eq!(clock.iso_time(i64::MIN), "0001-01-01 00:00:00");
        assert_eq!(clock.unix_millis(1), (NEW_YEAR_2026 + 1) * 1000);
        assert_eq!(clock.unix_millis(u64::MAX), i64::MAX);
        // Any start, even one not on a whole day.
        let clock = Clock::starting_at(NEW_YEAR_2026 + 13 * 3600 + 5);
        assert_eq!(clock.order_time(0), "01.01.2026 13:00:05");
        assert_eq!(clock.at_utc(2026, 1, 1, (0, 0, 0)), -(13 * 3600 + 5));
        // Starts are kept within years 1 to 9999.
        assert_eq!(
            Clock::starting_at(i64::MAX).order_time(0),
            "31.12.9999 23:59:59"
        );
        assert_eq!(
            Clock::starting_at(i64::MIN).order_time(0),
            "01.01.0001 00:00:00"
        );
    }

    #[test]
    fn the_default_starts_at_the_wall_clock() {
        let before = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let clock = Clock::default();
        let after = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let start = u64::try_from(clock.start()).unwrap();
        assert!(
            (before..=after).contains(&start),
            "{before} {start} {after}"
        );
        assert_eq!(clock.now(), 0);
    }
}
