use super::*;
use crate::synthetic::SplitMix64;

/// Draw a score from the Dixon-Coles distribution by inverse CDF.
fn sample(rng: &mut SplitMix64, lambda: f64, nu: f64, rho: f64) -> (u8, u8) {
    let pois = |rate: f64, k: usize| (0..k).fold((-rate).exp(), |p, i| p * rate / (i + 1) as f64);
    let mut cells = Vec::new();
    let mut total = 0.0;
    for x in 0..=MAX_GOALS {
        for y in 0..=MAX_GOALS {
            let p = tau(x as u8, y as u8, lambda, nu, rho) * pois(lambda, x) * pois(nu, y);
            total += p;
            cells.push((x as u8, y as u8, total));
        }
    }
    let u = rng.next_f64() * total;
    let cell = cells
        .iter()
        .find(|c| c.2 >= u)
        .unwrap_or(cells.last().unwrap());
    (cell.0, cell.1)
}

#[test]
fn recovers_known_parameters_from_synthetic_results() {
    // Attacks and defences sum to zero: the ridge then centres the fit there.
    let attack = [0.35, 0.2, 0.1, 0.05, 0.0, -0.05, -0.1, -0.15, -0.2, -0.2];
    let defence = [-0.3, -0.2, -0.1, 0.0, 0.0, 0.05, 0.1, 0.1, 0.15, 0.2];
    let (mu, home, rho) = (0.1, 0.3, -0.08);
    // Every third round behind closed doors, with a smaller home advantage.
    let closed_shift = -0.2;
    let mut rng = SplitMix64::new(42);
    let mut results = Vec::new();
    for round in 0..60 {
        let closed = round % 3 == 0;
        for h in 0..10 {
            for a in 0..10 {
                if h == a {
                    continue;
                }
                let shift = if closed { closed_shift } else { 0.0 };
                let lambda = f64::exp(mu + home + shift + attack[h] + defence[a]);
                let nu = f64::exp(mu + attack[a] + defence[h]);
                let (x, y) = sample(&mut rng, lambda, nu, rho);
                results.push(Result1x2 {
                    day: 0.0,
                    home: h,
                    away: a,
                    home_goals: x,
                    away_goals: y,
                    closed,
                });
            }
        }
    }
    let params = DixonColesParams {
        decay_per_day: 0.0,
        ridge: 1e-3,
        ..DixonColesParams::default()
    };
    let model = fit(&results, 1.0, &[(0.0, 0.0); 10], &params, None).unwrap();
    assert!((model.mu - mu).abs() < 0.05, "mu {}", model.mu);
    assert!(
        (model.home_advantage - home).abs() < 0.05,
        "h {}",
        model.home_advantage
    );
    assert!(
        (model.closed_shift - closed_shift).abs() < 0.06,
        "closed-doors shift {}",
        model.closed_shift
    );
    // A closed-doors forecast uses the lower home advantage.
    let open = model.forecast(0, 1, false, (0.0, 0.0), (0.0, 0.0));
    let closed = model.forecast(0, 1, true, (0.0, 0.0), (0.0, 0.0));
    assert!((closed.goals[0] / open.goals[0] - model.closed_shift.exp()).abs() < 1e-12);
    assert_eq!(closed.goals[1], open.goals[1]);
    assert!((model.rho - rho).abs() < 0.05, "rho {}", model.rho);
    for t in 0..10 {
        let (a, d) = model.teams[t].unwrap();
        assert!(
            (a - attack[t]).abs() < 0.08,
            "attack {t}: {a} vs {}",
            attack[t]
        );
        assert!(
            (d - defence[t]).abs() < 0.08,
            "defence {t}: {d} vs {}",
            defence[t]
        );
    }
}

#[test]
fn probabilities_reduce_to_independent_poisson_without_rho() {
    let p = outcome_probabilities(1.5, 1.1, 0.0);
    assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    // Independent Poisson draw probability Σ_k P(X=k)P(Y=k) (up to 10 goals).
    let pois =
        |rate: f64, k: i32| (-rate).exp() * rate.powi(k) / (1..=k).product::<i32>().max(1) as f64;
    let draw: f64 = (0..=10).map(|k| pois(1.5, k) * pois(1.1, k)).sum();
    let total: f64 = (0..=10)
        .flat_map(|x| (0..=10).map(move |y| pois(1.5, x) * pois(1.1, y)))
        .sum();
    assert!((p[1] - draw / total).abs() < 1e-12);
    // A negative ρ lifts 0-0 and 1-1: more draws.
    assert!(outcome_probabilities(1.5, 1.1, -0.1)[1] > p[1]);
}

#[test]
fn newcomers_get_the_prior_centre_and_old_results_fade() {
    let params = DixonColesParams::default();
    let results = [Result1x2 {
        day: 0.0,
        home: 0,
        away: 1,
        home_goals: 3,
        away_goals: 0,
        closed: false,
    }];
    let centres = [
        (0.0, 0.0),
        (0.0, 0.0),
        prior_centre(&params, Arrival::Promoted),
    ];
    let model = fit(&results, 10.0, &centres, &params, None).unwrap();
    assert_eq!(model.teams[2], None);
    // A newcomer is predicted at its prior centre: weaker than an average side.
    // Without a closed-doors result the shift stays at its prior centre.
    assert_eq!(model.closed_shift, 0.0);
    let vs_new = model.forecast(0, 2, false, centres[0], centres[2]);
    let vs_average = model.forecast(0, 2, false, centres[0], (0.0, 0.0));
    assert!(vs_new.proba[0] > vs_average.proba[0]);
    let (a, d) = prior_centre(&params, Arrival::Promoted);
    let lambda = (model.mu + model.home_advantage + model.teams[0].unwrap().0 + d).exp();
    assert!((vs_new.goals[0] - lambda).abs() < 1e-12 && a < 0.0);
    // Outside the window, nothing is left to fit.
    assert!(fit(&results, params.window_days + 1.0, &centres, &params, None).is_none());
}
