//! A virtual clock: seconds since the sandbox started, advanced by tests, so order lifetimes
//! and the callback retry schedule can be exercised without waiting.

use std::sync::atomic::{AtomicU64, Ordering};
use time::{Date, Duration, Month, PrimitiveDateTime, Time};

/// The virtual clock.
#[derive(Debug, Default)]
pub struct Clock {
    seconds: AtomicU64,
}

/// 2026-01-01 00:00:00: the sandbox's epoch, the order time of virtual time 0.
const EPOCH: PrimitiveDateTime = match Date::from_calendar_date(2026, Month::January, 1) {
    Ok(date) => PrimitiveDateTime::new(date, Time::MIDNIGHT),
    Err(_) => PrimitiveDateTime::MIN,
};

impl Clock {
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

    /// Back to time 0.
    pub(crate) fn reset(&self) {
        self.seconds.store(0, Ordering::SeqCst);
    }

    /// `DD.MM.YYYY hh:mm:ss` for a virtual time, as Flitt writes `order_time`. A time past
    /// 9999-12-31 23:59:59 (about 2.5 × 10¹¹ virtual seconds) reads as that last second.
    pub fn order_time(at: u64) -> String {
        let t = i64::try_from(at)
            .ok()
            .and_then(|s| EPOCH.checked_add(Duration::seconds(s)))
            .unwrap_or(PrimitiveDateTime::MAX);
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

    /// Milliseconds since the Unix epoch for a virtual time, as the fiscal receipts write
    /// `processed_date`.
    pub fn unix_millis(at: u64) -> i64 {
        let start = EPOCH.assume_utc().unix_timestamp();
        i64::try_from(at)
            .ok()
            .and_then(|s| start.checked_add(s))
            .and_then(|s| s.checked_mul(1000))
            .unwrap_or(i64::MAX)
    }

    /// Days from the sandbox's epoch (2026-01-01) to a date; negative before it. The callers
    /// pass a `flitt::types::Date`'s parts, which always exist; a day that does not is day 0.
    pub fn day_number(year: u16, month: u8, day: u8) -> i64 {
        Month::try_from(month)
            .and_then(|m| Date::from_calendar_date(i32::from(year), m, day))
            .map_or(0, |d| {
                i64::from(d.to_julian_day() - EPOCH.date().to_julian_day())
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers() {
        assert_eq!(Clock::day_number(2026, 1, 1), 0);
        assert_eq!(Clock::day_number(2026, 3, 1), 59);
        assert_eq!(Clock::day_number(2025, 12, 31), -1);
        // Leap years by the Gregorian rules: 2028 is one, 2100 is not, 2000 was.
        assert_eq!(Clock::day_number(2029, 1, 1), 365 + 365 + 366);
        assert_eq!(
            Clock::day_number(2100, 3, 1) - Clock::day_number(2100, 2, 28),
            1
        );
        assert_eq!(Clock::day_number(2000, 1, 1), -(26 * 365 + 7));
        assert_eq!(Clock::day_number(1970, 1, 1), -20_454);
        assert_eq!(Clock::day_number(1, 1, 1), -739_616);
        assert_eq!(Clock::day_number(2026, 2, 30), 0);
        assert_eq!(Clock::day_number(2026, 13, 1), 0);
    }

    #[test]
    fn advances_saturate_and_reset_goes_back_to_zero() {
        let clock = Clock::default();
        assert_eq!(clock.advance(10), 10);
        assert_eq!(clock.advance(u64::MAX), u64::MAX);
        assert_eq!(clock.now(), u64::MAX);
        clock.reset();
        assert_eq!(clock.now(), 0);
    }

    #[test]
    fn order_times() {
        assert_eq!(Clock::order_time(0), "01.01.2026 00:00:00");
        assert_eq!(
            Clock::order_time(59 * 86_400 + 3_661),
            "01.03.2026 01:01:01"
        );
        assert_eq!(Clock::order_time(86_399), "01.01.2026 23:59:59");
        // 2028-02-29 exists: 365 + 365 + 31 + 28 days on.
        assert_eq!(
            Clock::order_time((365 + 365 + 31 + 28) * 86_400),
            "29.02.2028 00:00:00"
        );
        assert_eq!(Clock::order_time(u64::MAX), "31.12.9999 23:59:59");
    }
}
