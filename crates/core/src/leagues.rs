//! The leagues Matchday knows: source code → display name and region.

/// A league of the football-data.co.uk files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct League {
    /// football-data's `Div` code.
    pub code: &'static str,
    pub name: &'static str,
    /// Country; the seed called this "region" and grouped ROI by it.
    pub region: &'static str,
    /// Top divisions carry bookmaker odds in the source files.
    pub tier: u8,
}

pub const LEAGUES: &[League] = &[
    League {
        code: "E0",
        name: "Premier League",
        region: "England",
        tier: 1,
    },
    League {
        code: "E1",
        name: "Championship",
        region: "England",
        tier: 2,
    },
    League {
        code: "E2",
        name: "League One",
        region: "England",
        tier: 3,
    },
    League {
        code: "E3",
        name: "League Two",
        region: "England",
        tier: 4,
    },
    League {
        code: "SP1",
        name: "La Liga",
        region: "Spain",
        tier: 1,
    },
    League {
        code: "D1",
        name: "Bundesliga",
        region: "Germany",
        tier: 1,
    },
    League {
        code: "I1",
        name: "Serie A",
        region: "Italy",
        tier: 1,
    },
    League {
        code: "F1",
        name: "Ligue 1",
        region: "France",
        tier: 1,
    },
];

/// The league with this source code, if Matchday knows it.
pub fn league(code: &str) -> Option<&'static League> {
    LEAGUES.iter().find(|l| l.code == code)
}
