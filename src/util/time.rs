//! Packet timestamps.
//!
//! Every stage reasons in packet time (the capture's clock), never in wall
//! time, so that replaying a capture gives the same result on any machine and
//! at any speed.

use std::fmt;

/// Microseconds since the Unix epoch, as carried by the capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub u64);

impl Timestamp {
    pub const ZERO: Timestamp = Timestamp(0);

    pub fn from_secs_micros(secs: u64, micros: u32) -> Self {
        Timestamp(secs.saturating_mul(1_000_000).saturating_add(u64::from(micros)))
    }

    /// The wall clock now (live capture).
    pub fn now() -> Self {
        let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        Self::from_secs_micros(d.as_secs(), d.subsec_micros())
    }

    pub fn secs(self) -> u64 {
        self.0 / 1_000_000
    }

    pub fn subsec_micros(self) -> u32 {
        (self.0 % 1_000_000) as u32
    }

    /// Seconds elapsed since `earlier`, zero when the clock went backwards
    /// (pcaps are not always sorted).
    pub fn secs_since(self, earlier: Timestamp) -> u64 {
        self.0.saturating_sub(earlier.0) / 1_000_000
    }

    pub fn micros_since(self, earlier: Timestamp) -> u64 {
        self.0.saturating_sub(earlier.0)
    }

    pub fn add_secs(self, secs: u64) -> Timestamp {
        Timestamp(self.0.saturating_add(secs.saturating_mul(1_000_000)))
    }

    /// Appends the EVE form as a JSON string (`"2024-04-01T12:00:00.123456+0000"`),
    /// as [`Timestamp::eve`] displays it but without a formatter: every
    /// record has one or more, so the output path writes the digits itself.
    pub fn push_eve_str(self, out: &mut Vec<u8>) {
        let secs = self.secs();
        let (y, m, d) = civil_from_days((secs / 86_400) as i64);
        let Ok(year @ 0..=9999) = u32::try_from(y) else {
            // Years of five digits and more (a hostile capture's clock).
            use std::io::Write;
            let _ = write!(out, "\"{}\"", self.eve());
            return;
        };
        let rem = (secs % 86_400) as u32;
        let mut text = *b"\"0000-00-00T00:00:00.000000+0000\"";
        put_digits(&mut text[1..5], year);
        put_digits(&mut text[6..8], m);
        put_digits(&mut text[9..11], d);
        put_digits(&mut text[12..14], rem / 3600);
        put_digits(&mut text[15..17], (rem / 60) % 60);
        put_digits(&mut text[18..20], rem % 60);
        put_digits(&mut text[21..27], self.subsec_micros());
        out.extend_from_slice(&text);
    }

    /// Formats as EVE does: `2024-04-01T12:00:00.123456+0000` (always UTC).
    pub fn eve(self) -> EveTime {
        EveTime(self)
    }
}

/// Writes the last `dst.len()` decimal digits of `v`, zero-padded.
fn put_digits(dst: &mut [u8], mut v: u32) {
    for d in dst.iter_mut().rev() {
        *d = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

/// Display adapter for the EVE timestamp format.
pub struct EveTime(Timestamp);

impl fmt::Display for EveTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.secs();
        let (y, m, d) = civil_from_days((secs / 86_400) as i64);
        let rem = secs % 86_400;
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}+0000",
            y,
            m,
            d,
            rem / 3600,
            (rem / 60) % 60,
            rem % 60,
            self.0.subsec_micros()
        )
    }
}

/// A proleptic Gregorian date to days since 1970-01-01 (Howard Hinnant's
/// `days_from_civil`).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day)
/// (Howard Hinnant's `civil_from_days`).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
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

/// An EVE timestamp, `2024-01-02T03:04:05.123456+0000`, as microseconds
/// since the epoch (UTC). The offset may be any `+HHMM`, `+HH:MM` or `Z`
/// (none: UTC); the fraction is optional. Records read back from files,
/// spools and peers are untrusted: anything else is `None`.
pub fn parse_eve_micros(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let d = b.get(r)?;
        if d.is_empty() || !d.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(d.iter().fold(0i64, |v, &c| v * 10 + i64::from(c - b'0')))
    };
    let sep = |i: usize, c: u8| b.get(i) == Some(&c);
    if !(sep(4, b'-') && sep(7, b'-') && (sep(10, b'T') || sep(10, b' ')) && sep(13, b':') && sep(16, b':')) {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    let mut micros = 0u32;
    if sep(i, b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            if i - start < 6 {
                micros = micros * 10 + u32::from(b[i] - b'0');
            }
            i += 1;
        }
        if i == start {
            return None;
        }
        for _ in (i - start)..6 {
            micros *= 10;
        }
    }
    let offset = match b.get(i) {
        None => 0,
        Some(b'Z') if i + 1 == b.len() => 0,
        Some(&c @ (b'+' | b'-')) => {
            let (oh, om) = match b.len() - i {
                5 => (num(i + 1..i + 3)?, num(i + 3..i + 5)?),
                6 if sep(i + 3, b':') => (num(i + 1..i + 3)?, num(i + 4..i + 6)?),
                _ => return None,
            };
            if oh > 23 || om > 59 {
                return None;
            }
            let o = oh * 3600 + om * 60;
            if c == b'-' {
                -o
            } else {
                o
            }
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo as u32, d as u32);
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec - offset;
    secs.checked_mul(1_000_000)?.checked_add(i64::from(micros))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_eve() {
        let ts = Timestamp::from_secs_micros(1_501_704_364, 112_404);
        assert_eq!(ts.eve().to_string(), "2017-08-02T20:06:04.112404+0000");
        assert_eq!(Timestamp::ZERO.eve().to_string(), "1970-01-01T00:00:00.000000+0000");
        // A leap day.
        let ts = Timestamp::from_secs_micros(951_782_400, 1);
        assert_eq!(ts.eve().to_string(), "2000-02-29T00:00:00.000001+0000");
    }

    #[test]
    fn pushed_form_is_the_displayed_one() {
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut cases =
            vec![0, 1, 999_999, 951_782_400_000_001, 253_402_300_799_999_999, 253_402_300_800_000_000, u64::MAX];
        cases.extend((0..2000).map(|_| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng % 300_000_000_000_000_000
        }));
        for us in cases {
            let mut out = Vec::new();
            Timestamp(us).push_eve_str(&mut out);
            assert_eq!(String::from_utf8(out).unwrap(), format!("\"{}\"", Timestamp(us).eve()), "{us}");
        }
    }

    #[test]
    fn days_round_trip() {
        for z in [-1000i64, 0, 59, 60, 11_016, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
    }

    #[test]
    fn time_going_backwards_is_zero_elapsed() {
        let a = Timestamp::from_secs_micros(10, 0);
        let b = Timestamp::from_secs_micros(5, 0);
        assert_eq!(b.secs_since(a), 0);
        assert_eq!(a.secs_since(b), 5);
    }
}
