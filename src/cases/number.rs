//! Case numbers from a configurable pattern such as `ZW/{year}/{seq:04}`.

/// A validated case-number pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberPattern {
    pieces: Vec<Piece>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Year,
    Seq {
        width: usize,
    },
    /// A random number written in Crockford's base 32, `len` characters.
    Rand {
        len: u32,
    },
}

/// How the number within a year is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqKind {
    /// `{seq}`: 1, 2, 3… (the order of arrival shows).
    Sequential,
    /// `{rand}`: random and unique within the year, so the number does not tell which message
    /// of a day's mail server log became which case.
    Random,
}

/// Crockford's base 32: no I, L, O, U, so numbers read aloud or typed are not mistaken.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The pattern text is not acceptable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PatternError {
    /// `{seq}` or `{rand}` must appear exactly once, so numbers are unique.
    #[error("must contain {{seq}} or {{rand}} exactly once (e.g. \"ZW/{{year}}/{{seq:04}}\" or \"ZW/{{year}}/{{rand}}\")")]
    Seq,
    /// `{year}` must appear, since the sequence restarts every year.
    #[error("must contain {{year}}: the sequence restarts every year")]
    Year,
    /// Unknown placeholder.
    #[error("unknown placeholder {{{0}}}; use {{year}} and one of {{seq}}, {{seq:NN}}, {{rand}}, {{rand:NN}}")]
    Placeholder(String),
    /// Brace not closed.
    #[error("unclosed '{{'")]
    Unclosed,
}

impl NumberPattern {
    /// The default pattern.
    pub const DEFAULT: &'static str = "ZW/{year}/{seq:04}";

    /// Parses a pattern.
    pub fn parse(text: &str) -> Result<NumberPattern, PatternError> {
        let mut pieces = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            let (before, after) = rest.split_at(open);
            if !before.is_empty() {
                pieces.push(Piece::Text(before.to_owned()));
            }
            let after = after.strip_prefix('{').unwrap_or(after);
            let close = after.find('}').ok_or(PatternError::Unclosed)?;
            let (name, tail) = after.split_at(close);
            rest = tail.strip_prefix('}').unwrap_or(tail);
            pieces.push(match name {
                "year" => Piece::Year,
                "seq" => Piece::Seq { width: 1 },
                "rand" => Piece::Rand { len: 6 },
                n => match (
                    n.strip_prefix("seq:").map(str::parse::<usize>),
                    n.strip_prefix("rand:").map(str::parse::<u32>),
                ) {
                    (Some(Ok(width)), _) if width <= 12 => Piece::Seq { width },
                    // 32^4 ≈ 10^6 at the least (collisions stay rare); 32^12 still fits an i64.
                    (_, Some(Ok(len))) if (4..=12).contains(&len) => Piece::Rand { len },
                    _ => return Err(PatternError::Placeholder(n.to_owned())),
                },
            });
        }
        if !rest.is_empty() {
            pieces.push(Piece::Text(rest.to_owned()));
        }
        let seqs = pieces
            .iter()
            .filter(|p| matches!(p, Piece::Seq { .. } | Piece::Rand { .. }))
            .count();
        if seqs != 1 {
            return Err(PatternError::Seq);
        }
        if !pieces.iter().any(|p| matches!(p, Piece::Year)) {
            return Err(PatternError::Year);
        }
        Ok(NumberPattern { pieces })
    }

    /// Formats the number of the `seq`-th case of `year`.
    pub fn format(&self, year: i32, seq: i64) -> String {
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Year => out.push_str(&year.to_string()),
                Piece::Seq { width } => out.push_str(&format!("{seq:0width$}")),
                Piece::Rand { len } => {
                    let mut digits = vec![b'0'; *len as usize];
                    let mut n = seq.unsigned_abs();
                    for d in digits.iter_mut().rev() {
                        *d = CROCKFORD.get((n % 32) as usize).copied().unwrap_or(b'0');
                        n /= 32;
                    }
                    out.push_str(&String::from_utf8_lossy(&digits));
                }
            }
        }
        out
    }

    /// Sequential or random numbers.
    pub fn seq_kind(&self) -> SeqKind {
        if self.pieces.iter().any(|p| matches!(p, Piece::Rand { .. })) {
            SeqKind::Random
        } else {
            SeqKind::Sequential
        }
    }

    /// A random number for `{rand}` (from the operating system's generator); the register
    /// draws again if it is taken.
    pub fn random_seq(&self) -> i64 {
        use rand::Rng;
        let len = self
            .pieces
            .iter()
            .find_map(|p| match p {
                Piece::Rand { len } => Some(*len),
                _ => None,
            })
            .unwrap_or(6);
        rand::rngs::OsRng.gen_range(1..32_i64.pow(len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_pattern() {
        let p = NumberPattern::parse(NumberPattern::DEFAULT).unwrap();
        assert_eq!(p.format(2026, 7), "ZW/2026/0007");
        assert_eq!(p.format(2026, 12345), "ZW/2026/12345");
    }

    #[test]
    fn random_numbers_do_not_tell_the_order_of_arrival() {
        let p = NumberPattern::parse("ZW/{year}/{rand}").unwrap();
        assert_eq!(p.seq_kind(), SeqKind::Random);
        assert_eq!(p.format(2026, 0), "ZW/2026/000000");
        assert_eq!(p.format(2026, 32 * 32 - 1), "ZW/2026/0000ZZ");
        let drawn: std::collections::BTreeSet<i64> = (0..50).map(|_| p.random_seq()).collect();
        assert!(
            drawn.len() > 45,
            "random numbers repeat too often: {drawn:?}"
        );
        assert!(drawn.iter().all(|n| (1..32_i64.pow(6)).contains(n)));
        let formatted = p.format(2026, p.random_seq());
        assert!(formatted
            .strip_prefix("ZW/2026/")
            .unwrap()
            .bytes()
            .all(|b| CROCKFORD.contains(&b)));
        assert_eq!(
            NumberPattern::parse("{year}/{seq}/{rand}"),
            Err(PatternError::Seq)
        );
        assert!(NumberPattern::parse("{year}/{rand:3}").is_err());
        assert_eq!(
            NumberPattern::parse(NumberPattern::DEFAULT)
                .unwrap()
                .seq_kind(),
            SeqKind::Sequential
        );
    }

    #[test]
    fn bad_patterns_are_explained() {
        assert_eq!(NumberPattern::parse("ZW/{year}"), Err(PatternError::Seq));
        assert_eq!(NumberPattern::parse("ZW/{seq}"), Err(PatternError::Year));
        assert_eq!(
            NumberPattern::parse("{year}/{seq}/{x}"),
            Err(PatternError::Placeholder("x".into()))
        );
        assert_eq!(
            NumberPattern::parse("{year}/{seq"),
            Err(PatternError::Unclosed)
        );
        assert_eq!(
            NumberPattern::parse("{year}{seq}{seq}"),
            Err(PatternError::Seq)
        );
    }
}
