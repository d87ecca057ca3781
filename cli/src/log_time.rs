//! The time at the head of each log line, as tracing-subscriber's default timer writes it
//! (`2026-11-30T16:04:10.251690Z`, UTC, to the microsecond), with the text up to the second
//! kept per thread: the default timer works the calendar out afresh for every line, 2.4 k of
//! the 9.2 k instructions an access line cost (callgrind, `flitt sandbox` under `wrk`).

use std::cell::RefCell;
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};
use time::OffsetDateTime;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime;

/// See the module docs.
#[derive(Clone, Copy, Debug, Default)]
pub struct LogTime;

impl FormatTime for LogTime {
    fn format_time(&self, w: &mut Writer<'_>) -> fmt::Result {
        let since = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        write_time(w, since.as_secs(), since.subsec_micros())
    }
}

/// Writes the time `seconds` after the epoch plus `micros`.
fn write_time(w: &mut impl fmt::Write, seconds: u64, micros: u32) -> fmt::Result {
    thread_local! {
        /// The last second written, and its text up to the second.
        static SECOND: RefCell<Option<(u64, String)>> = const { RefCell::new(None) };
    }
    SECOND.with_borrow_mut(|last| {
        let text = match last {
            Some((at, text)) if *at == seconds => text,
            _ => &mut last.insert((seconds, to_the_second(seconds))).1,
        };
        w.write_str(text)?;
        // The microseconds by hand: through `write!` they cost about 0.5 k instructions more per
        // access line (callgrind, `flitt sandbox` under `wrk`).
        let mut digits = *b".000000Z";
        let mut rest = micros.min(999_999);
        for d in digits[1..7].iter_mut().rev() {
            // `rest % 10` is a digit.
            *d = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        w.write_str(std::str::from_utf8(&digits).unwrap_or(".000000Z"))
    })
}

/// `YYYY-MM-DDThh:mm:ss` (UTC) for `seconds` after the epoch; past the `time` crate's last
/// second, 9999-12-31 23:59:59, reads as that second.
fn to_the_second(seconds: u64) -> String {
    const LAST: i64 = 253_402_300_799;
    let seconds = i64::try_from(seconds).map_or(LAST, |s| s.min(LAST));
    let t = OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::fmt::time::SystemTime as DefaultTimer;

    fn ours(seconds: u64, micros: u32) -> String {
        let mut text = String::new();
        write_time(&mut text, seconds, micros).unwrap();
        text
    }

    #[test]
    fn times_read_as_the_default_timer_writes_them() {
        assert_eq!(ours(0, 0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(ours(951_782_400, 7), "2000-02-29T00:00:00.000007Z");
        assert_eq!(ours(1_796_054_650, 251_690), "2026-11-30T16:04:10.251690Z");
        assert_eq!(
            ours(253_402_300_799, 999_999),
            "9999-12-31T23:59:59.999999Z"
        );
        // Twice in one second, then the next: the remembered text is the right one.
        assert_eq!(ours(1_796_054_650, 1), "2026-11-30T16:04:10.000001Z");
        assert_eq!(ours(1_796_054_651, 1), "2026-11-30T16:04:11.000001Z");
    }

    #[test]
    fn every_day_of_four_centuries_is_the_date_the_calendar_gives() {
        // The day before each, counted on by hand from 1970-01-01.
        let (mut year, mut month, mut day) = (1970u64, 1u64, 1u64);
        for days in 0..146_097 {
            assert_eq!(
                to_the_second(days * 86_400),
                format!("{year:04}-{month:02}-{day:02}T00:00:00"),
                "day {days}"
            );
            let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
            let length = match month {
                2 if leap => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            day += 1;
            if day > length {
                (day, month) = (1, month + 1);
                if month > 12 {
                    (month, year) = (1, year + 1);
                }
            }
        }
    }

    #[test]
    fn a_line_starts_as_with_the_default_timer() {
        let default = || {
            let mut text = String::new();
            DefaultTimer
                .format_time(&mut Writer::new(&mut text))
                .unwrap();
            text
        };
        // Ours between two of the default's: when those two name the same minute, so does
        // ours (a minute that turned between them is tried again).
        for _ in 0..3 {
            let before = default();
            let mut ours = String::new();
            LogTime.format_time(&mut Writer::new(&mut ours)).unwrap();
            let after = default();
            if before[..16] != after[..16] {
                continue;
            }
            assert_eq!(ours.len(), before.len(), "{ours} / {before}");
            assert_eq!(ours[..16], before[..16], "{ours} / {before}");
            assert!(ours.ends_with('Z') && ours.as_bytes()[19] == b'.', "{ours}");
            return;
        }
        panic!("the minute turned three times in a row");
    }
}
