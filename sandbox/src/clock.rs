//! A virtual clock: seconds since the sandbox started, advanced by tests, so order lifetimes
//! and the callback retry schedule can be exercised without waiting.

use std::sync::atomic::{AtomicU64, Ordering};

/// The virtual clock.
#[derive(Debug, Default)]
pub struct Clock {
    seconds: AtomicU64,
}

/// 2026-01-01 00:00:00 as days since 1970-01-01: the sandbox's epoch for order times.
const EPOCH_DAYS: i64 = 20_454;

impl Clock {
    /// Seconds since the sandbox started.
    pub fn now(&self) -> u64 {
        self.seconds.load(Ordering::SeqCst)
    }

    /// Moves the clock forward.
    pub fn advance(&self, seconds: u64) -> u64 {
        self.seconds.fetch_add(seconds, Ordering::SeqCst) + seconds
    }

    /// `DD.MM.YYYY hh:mm:ss` for a virtual time, as Flitt writes `order_time`.
    pub fn order_time(at: u64) -> String {
        let days = EPOCH_DAYS + i64::try_from(at / 86_400).unwrap_or(0);
        let (y, m, d) = civil_from_days(days);
        let s = at % 86_400;
        format!(
            "{d:02}.{m:02}.{y:04} {:02}:{:02}:{:02}",
            s / 3600,
            s % 3600 / 60,
            s % 60
        )
    }
}

impl Clock {
    /// Days from the sandbox's epoch (2026-01-01) to a date; negative before it.
    pub fn day_number(year: u16, month: u8, day: u8) -> i64 {
        days_from_civil(i64::from(year), u32::from(month), u32::from(day)) - EPOCH_DAYS
    }
}

/// A proleptic Gregorian date to days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers() {
        assert_eq!(Clock::day_number(2026, 1, 1), 0);
        assert_eq!(Clock::day_number(2026, 3, 1), 59);
        assert_eq!(Clock::day_number(2025, 12, 31), -1);
    }

    #[test]
    fn order_times() {
        assert_eq!(Clock::order_time(0), "01.01.2026 00:00:00");
        assert_eq!(
            Clock::order_time(59 * 86_400 + 3_661),
            "01.03.2026 01:01:01"
        );
    }
}
