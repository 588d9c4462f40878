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
    Seq { width: usize },
}

/// The pattern text is not acceptable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PatternError {
    /// `{seq}` must appear exactly once, so numbers are unique.
    #[error("must contain {{seq}} exactly once (e.g. \"ZW/{{year}}/{{seq:04}}\")")]
    Seq,
    /// `{year}` must appear, since the sequence restarts every year.
    #[error("must contain {{year}}: the sequence restarts every year")]
    Year,
    /// Unknown placeholder.
    #[error("unknown placeholder {{{0}}}; use {{year}} and {{seq}} or {{seq:NN}}")]
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
                n => match n.strip_prefix("seq:").map(str::parse::<usize>) {
                    Some(Ok(width)) if width <= 12 => Piece::Seq { width },
                    _ => return Err(PatternError::Placeholder(n.to_owned())),
                },
            });
        }
        if !rest.is_empty() {
            pieces.push(Piece::Text(rest.to_owned()));
        }
        let seqs = pieces
            .iter()
            .filter(|p| matches!(p, Piece::Seq { .. }))
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
            }
        }
        out
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
