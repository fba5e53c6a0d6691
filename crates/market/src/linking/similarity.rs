//! How alike two team names are: Jaro-Winkler over aligned tokens.
//!
//! Each token of the shorter name is paired with its best-matching unused
//! token of the longer one; the score is the sum of the pairs' Jaro-Winkler
//! similarities over the number of tokens compared. Tokens of the longer name
//! left unpaired count against the score, except generic club words
//! (`City`, `Town`, `Albion`, ...), so `Leicester City` ~ `Leicester` scores
//! 1.0 while `Manchester City` ~ `Manchester United` scores ~0.7: a differing
//! token is compared, not ignored. Comparing whole strings instead would
//! rank those two 0.87 on their shared prefix alone.

use crate::linking::normalize::Normalized;

/// Words a club's name may carry or drop without becoming another club.
const GENERIC: &[&str] = &[
    "city",
    "town",
    "county",
    "united",
    "athletic",
    "albion",
    "rovers",
    "wanderers",
    "hotspur",
    "borussia",
    "real",
    "olympique",
    "stade",
    "racing",
    "sporting",
    "calcio",
    "football",
    "foot",
    "fussball",
];

/// Similarity of two normalised names in [0, 1].
pub fn team_similarity(a: &Normalized, b: &Normalized) -> f64 {
    if a.tokens == b.tokens {
        return 1.0;
    }
    let (short, long) = if a.tokens.len() <= b.tokens.len() {
        (&a.tokens, &b.tokens)
    } else {
        (&b.tokens, &a.tokens)
    };
    if short.is_empty() {
        return 0.0;
    }
    // Best pairs first, each token used once (a greedy assignment: with a
    // few tokens per name it matches the optimal one in practice).
    let mut pairs: Vec<(f64, usize, usize)> = Vec::with_capacity(short.len() * long.len());
    for (i, s) in short.iter().enumerate() {
        for (j, l) in long.iter().enumerate() {
            pairs.push((strsim::jaro_winkler(s, l), i, j));
        }
    }
    pairs.sort_by(|x, y| y.0.total_cmp(&x.0));
    let (mut short_used, mut used) = (vec![false; short.len()], vec![false; long.len()]);
    let mut total = 0.0;
    for (score, i, j) in pairs {
        if !short_used[i] && !used[j] {
            short_used[i] = true;
            used[j] = true;
            // Two different generic words (`City` against `United`) name
            // two different clubs of one place: no credit for their letters.
            let conflict = short[i] != long[j]
                && GENERIC.contains(&short[i].as_str())
                && GENERIC.contains(&long[j].as_str());
            if !conflict {
                total += score;
            }
        }
    }
    let extra = long
        .iter()
        .zip(&used)
        .filter(|(token, used)| !**used && !GENERIC.contains(&token.as_str()))
        .count();
    total / (short.len() + extra) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linking::normalize::normalize;

    fn sim(a: &str, b: &str) -> f64 {
        team_similarity(&normalize(a), &normalize(b))
    }

    #[test]
    fn same_club_spelled_differently_scores_high() {
        assert_eq!(sim("Leicester City", "Leicester"), 1.0);
        assert_eq!(sim("Real Sociedad", "Sociedad"), 1.0);
        assert!(
            sim("Hellas Verona", "Verona") < 0.9,
            "hellas is not generic"
        );
        assert!(sim("Manchester Utd", "Man United") > 0.99);
        assert!(sim("Sevila", "Sevilla") > 0.95, "a typo");
        assert!(sim("Borussia Dortmund", "Dortmund") > 0.99);
    }

    #[test]
    fn different_clubs_of_one_city_score_low() {
        assert!(
            sim("Manchester City", "Man United") < 0.8,
            "{}",
            sim("Manchester City", "Man United")
        );
        assert!(sim("Inter Milan", "Milan") < 0.6);
        assert!(sim("Atletico Madrid", "Real Madrid") < 0.8);
        assert!(sim("Sheffield Wednesday", "Sheffield United") < 0.8);
        assert!(sim("Hertha Berlin", "Union Berlin") < 0.8);
        assert!(sim("Bristol Rovers", "Bristol City") < 1.0);
    }
}
