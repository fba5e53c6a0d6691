//! Multinomial logistic regression for the three 1X2 classes, fitted by
//! Newton's method with a backtracking line search.
//!
//! - Features are standardised with training means and standard deviations;
//!   a missing value (NaN) is replaced by the training mean, i.e. 0 after
//!   standardisation. The means are recorded as `fill_values` because the
//!   serving side must fill the same way.
//! - Class 0 (home win) is the reference class: its logit is fixed at 0, so
//!   the intercepts are identified and the Hessian is positive definite.
//! - Objective: mean negative log-likelihood + `l2 / 2 · ‖w‖²` over the
//!   standardised weights (not the intercepts). On the mean-loss scale,
//!   `l2 = 1 / (C · n)` for sklearn's `C`.
//! - Sums run sequentially in a fixed order: same inputs, same bits.

use serde::{Deserialize, Serialize};

use crate::calibration::softmax;
use crate::linalg::cholesky_solve;
use crate::{MlError, Result};

/// Fitting parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LogitParams {
    /// L2 penalty on the standardised weights (mean-loss scale).
    pub l2: f64,
    pub max_iter: usize,
    /// Converged when every gradient component is below this.
    pub tol: f64,
}

impl Default for LogitParams {
    fn default() -> Self {
        Self {
            l2: 1e-3,
            max_iter: 100,
            tol: 1e-9,
        }
    }
}

/// Per-feature training mean (= fill value for NaN) and scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standardizer {
    pub fill_values: Vec<f64>,
    pub scales: Vec<f64>,
}

impl Standardizer {
    /// Mean and population standard deviation of the known values of each
    /// column. A column with no known value gets fill 0; a constant column
    /// gets scale 1 (its standardised value is then always 0).
    pub fn fit(rows: &[&[f64]], n_features: usize) -> Self {
        let mut fill_values = vec![0.0; n_features];
        let mut scales = vec![1.0; n_features];
        for f in 0..n_features {
            let known = || rows.iter().map(|r| r[f]).filter(|v| !v.is_nan());
            let n = known().count();
            if n == 0 {
                continue;
            }
            let mean = known().sum::<f64>() / n as f64;
            let var = known().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
            fill_values[f] = mean;
            if var.sqrt() > 1e-12 {
                scales[f] = var.sqrt();
            }
        }
        Self {
            fill_values,
            scales,
        }
    }

    /// A linear map of standardised inputs (`weights[f][c]`, `intercepts`)
    /// as the same map of raw, filled inputs: each weight divided by its
    /// column's scale, each mean times that taken from the intercept.
    pub fn fold(&self, weights: &[[f64; 3]], intercepts: [f64; 3]) -> RawLinear {
        let mut intercepts = intercepts;
        let weights = weights
            .iter()
            .enumerate()
            .map(|(f, w)| {
                let mut raw = [0.0; 3];
                for c in 0..3 {
                    raw[c] = w[c] / self.scales[f];
                    intercepts[c] -= self.fill_values[f] * raw[c];
                }
                raw
            })
            .collect();
        RawLinear {
            weights,
            intercepts,
            fill_values: self.fill_values.clone(),
        }
    }

    /// Standardised value of feature `f`; NaN → 0 (the mean).
    fn z(&self, f: usize, v: f64) -> f64 {
        if v.is_nan() {
            0.0
        } else {
            (v - self.fill_values[f]) / self.scales[f]
        }
    }
}

/// How the fit went.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FitInfo {
    pub n_samples: usize,
    pub iterations: usize,
    /// Penalised mean loss at the solution.
    pub objective: f64,
    pub max_abs_gradient: f64,
}

/// A fitted model. `weights[f][c]` applies to standardised feature `f` for
/// class `c`; column 0 is all zeros (reference class).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MultinomialLogit {
    pub standardizer: Standardizer,
    pub weights: Vec<[f64; 3]>,
    pub intercepts: [f64; 3],
    pub params: LogitParams,
    pub fit_info: FitInfo,
}

/// Weights for raw (unstandardised, NaN-filled) features:
/// `logits = x_filled · weights + intercepts`.
#[derive(Debug, Clone, PartialEq)]
pub struct RawLinear {
    pub weights: Vec<[f64; 3]>,
    pub intercepts: [f64; 3],
    pub fill_values: Vec<f64>,
}

impl MultinomialLogit {
    /// Fit on `rows` (NaN = missing) with labels in 0..3.
    pub fn fit(rows: &[&[f64]], labels: &[usize], params: &LogitParams) -> Result<Self> {
        let n_features = validate(rows, labels, params)?;
        let standardizer = Standardizer::fit(rows, n_features);
        let design = Design::new(rows, &standardizer);
        let (theta, fit_info) = newton(&design, labels, params)?;
        let width = n_features + 1;
        let mut weights = vec![[0.0; 3]; n_features];
        let mut intercepts = [0.0; 3];
        for c in 1..3 {
            let block = &theta[(c - 1) * width..c * width];
            intercepts[c] = block[0];
            for (f, w) in weights.iter_mut().enumerate() {
                w[c] = block[f + 1];
            }
        }
        Ok(Self {
            standardizer,
            weights,
            intercepts,
            params: *params,
            fit_info,
        })
    }

    pub fn n_features(&self) -> usize {
        self.weights.len()
    }

    /// Class probabilities (home, draw, away) of one row; NaN = missing.
    pub fn predict_proba(&self, row: &[f64]) -> Result<[f64; 3]> {
        self.logits(row).map(softmax)
    }

    /// The softmax's inputs for one row; NaN = missing.
    pub fn logits(&self, row: &[f64]) -> Result<[f64; 3]> {
        Ok(self.logits_of_standardized(&self.standardized(row)?))
    }

    /// The softmax's inputs for a row already [`Self::standardized`].
    pub fn logits_of_standardized(&self, z: &[f64]) -> [f64; 3] {
        let mut logits = self.intercepts;
        for (&z, w) in z[1..].iter().zip(&self.weights) {
            for c in 0..3 {
                logits[c] += z * w[c];
            }
        }
        logits
    }

    /// One row as the model sees it: a leading 1, then each input
    /// standardised (NaN = missing = 0), as the solver's design rows are.
    pub fn standardized(&self, row: &[f64]) -> Result<Vec<f64>> {
        if row.len() != self.n_features() {
            return Err(MlError::FeatureCount {
                model: self.n_features(),
                given: row.len(),
            });
        }
        let s = &self.standardizer;
        Ok(std::iter::once(1.0)
            .chain(row.iter().enumerate().map(|(f, &v)| s.z(f, v)))
            .collect())
    }

    pub fn predict_many<R: AsRef<[f64]>>(&self, rows: &[R]) -> Result<Vec<[f64; 3]>> {
        rows.iter()
            .map(|r| self.predict_proba(r.as_ref()))
            .collect()
    }

    /// The same model on raw features: standardisation folded into the
    /// weights, so `softmax(fill(x) · W + b)` equals [`Self::predict_proba`].
    pub fn to_raw(&self) -> RawLinear {
        self.standardizer.fold(&self.weights, self.intercepts)
    }
}

fn validate(rows: &[&[f64]], labels: &[usize], params: &LogitParams) -> Result<usize> {
    let bad = |m: String| Err(MlError::InvalidTrainingData(m));
    if !(params.l2 >= 0.0 && params.l2.is_finite() && params.tol > 0.0 && params.max_iter > 0) {
        return Err(MlError::InvalidConfig(format!(
            "bad logit parameters {params:?}"
        )));
    }
    if rows.len() != labels.len() {
        return bad(format!("{} rows for {} labels", rows.len(), labels.len()));
    }
    let Some(first) = rows.first() else {
        return bad("no rows".into());
    };
    let n_features = first.len();
    if rows.iter().any(|r| r.len() != n_features) {
        return bad("rows of different lengths".into());
    }
    if rows.iter().any(|r| r.iter().any(|v| v.is_infinite())) {
        return bad("infinite feature value".into());
    }
    let mut counts = [0usize; 3];
    for &y in labels {
        if y > 2 {
            return bad(format!("label {y} is not a 1X2 class"));
        }
        counts[y] += 1;
    }
    if counts.contains(&0) {
        // The unpenalised intercept of a never-seen class runs off to -inf.
        return bad(format!("every class needs an example, counts {counts:?}"));
    }
    Ok(n_features)
}

/// Standardised rows with a leading 1, flattened: `n × width`.
pub(crate) struct Design {
    z: Vec<f64>,
    pub(crate) width: usize,
}

impl Design {
    pub(crate) fn new(rows: &[&[f64]], s: &Standardizer) -> Self {
        let width = s.fill_values.len() + 1;
        let mut z = Vec::with_capacity(rows.len() * width);
        for r in rows {
            z.push(1.0);
            z.extend(r.iter().enumerate().map(|(f, &v)| s.z(f, v)));
        }
        Self { z, width }
    }

    pub(crate) fn rows(&self) -> impl Iterator<Item = &[f64]> {
        self.z.chunks_exact(self.width)
    }

    /// Probabilities of one row under `theta` (two blocks: draw, away).
    fn proba(&self, row: &[f64], theta: &[f64]) -> [f64; 3] {
        let dot = |b: &[f64]| row.iter().zip(b).map(|(x, w)| x * w).sum::<f64>();
        softmax([0.0, dot(&theta[..self.width]), dot(&theta[self.width..])])
    }

    pub(crate) fn n(&self) -> usize {
        self.z.len() / self.width
    }

    /// Penalised mean loss.
    fn objective(&self, theta: &[f64], labels: &[usize], l2: f64) -> f64 {
        let nll: f64 = self
            .rows()
            .zip(labels)
            .map(|(row, &y)| -self.proba(row, theta)[y].max(f64::MIN_POSITIVE).ln())
            .sum();
        nll / self.n() as f64 + 0.5 * l2 * self.penalised(theta).map(|t| t * t).sum::<f64>()
    }

    /// The weights under the penalty (every component but the intercepts).
    fn penalised<'t>(&self, theta: &'t [f64]) -> impl Iterator<Item = &'t f64> {
        let w = self.width;
        theta
            .iter()
            .enumerate()
            .filter(move |(i, _)| i % w != 0)
            .map(|(_, t)| t)
    }
}

/// Minimise the penalised loss; returns the parameters (draw block, away
/// block, each `[intercept, weights...]`).
fn newton(design: &Design, labels: &[usize], params: &LogitParams) -> Result<(Vec<f64>, FitInfo)> {
    let w = design.width;
    let p = 2 * w;
    let n = design.n() as f64;
    // Gradient and Hessian of the penalised mean loss.
    let derivatives = |theta: &[f64]| {
        let mut grad = vec![0.0; p];
        let mut hess = vec![0.0; p * p];
        for (row, &y) in design.rows().zip(labels) {
            let pr = design.proba(row, theta);
            for c in 0..2 {
                let resid = pr[c + 1] - f64::from(u8::from(y == c + 1));
                for j in 0..w {
                    grad[c * w + j] += resid * row[j];
                }
                for d in c..2 {
                    let h = pr[c + 1] * (f64::from(u8::from(c == d)) - pr[d + 1]);
                    for j in 0..w {
                        let hj = h * row[j];
                        let base = (c * w + j) * p + d * w;
                        for k in 0..w {
                            hess[base + k] += hj * row[k];
                        }
                    }
                }
            }
        }
        for i in 0..p {
            grad[i] /= n;
            for k in 0..p {
                hess[i * p + k] /= n;
            }
            if i % w != 0 {
                grad[i] += params.l2 * theta[i];
                hess[i * p + i] += params.l2;
            }
        }
        // Only the upper block triangle (c ≤ d) was accumulated: mirror it.
        for i in 0..p {
            for k in 0..i {
                if k / w < i / w {
                    hess[i * p + k] = hess[k * p + i];
                }
            }
        }
        (grad, hess)
    };
    let problem = NewtonProblem {
        objective: &|theta| design.objective(theta, labels, params.l2),
        derivatives: &derivatives,
        n_samples: design.n(),
        // Newton decrement: a step can lower the objective by about
        // `-slope / 2` at most. Once that is below what f64 resolves in the
        // objective, steps only move rounding noise, and on tens of thousands
        // of rows the gradient's own rounding floor can sit above `tol`:
        // the optimum is reached as closely as this precision allows.
        floor: RoundingFloor {
            ulps: 1.0,
            stop_without_decrease: false,
        },
        name: "",
        hint: " (collinear features or separable data with l2 = 0?)",
    };
    minimise(&problem, vec![0.0; p], params)
}

/// A gradient and its full row-major Hessian.
pub(crate) type Derivatives = (Vec<f64>, Vec<f64>);

/// A smooth convex objective for [`minimise`].
pub(crate) struct NewtonProblem<'a> {
    pub objective: &'a dyn Fn(&[f64]) -> f64,
    /// At `theta`.
    pub derivatives: &'a dyn Fn(&[f64]) -> Derivatives,
    pub n_samples: usize,
    pub floor: RoundingFloor,
    /// Prefixed to errors (`""`, or e.g. `"goals regression: "`).
    pub name: &'a str,
    /// Appended to the errors a bad problem can cause.
    pub hint: &'a str,
}

/// Where the fit stops for want of precision rather than of gradient.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RoundingFloor {
    /// A Newton decrement (`−slope`) at or below this many `f64::EPSILON`s
    /// of the objective stops it.
    pub ulps: f64,
    /// A step the line search accepts without lowering the objective (by
    /// rounding alone) stops it too.
    pub stop_without_decrease: bool,
}

/// Newton's method from `theta` with a backtracking (Armijo) line search,
/// until every gradient component is below `params.tol`, or the rounding
/// floor (then [`at_rounding_floor`] decides), or `params.max_iter`.
pub(crate) fn minimise(
    problem: &NewtonProblem,
    mut theta: Vec<f64>,
    params: &LogitParams,
) -> Result<(Vec<f64>, FitInfo)> {
    let (name, hint) = (problem.name, problem.hint);
    let mut objective = (problem.objective)(&theta);
    for iteration in 0..=params.max_iter {
        let (grad, mut hess) = (problem.derivatives)(&theta);
        let max_abs_gradient = grad.iter().fold(0.0f64, |m, g| m.max(g.abs()));
        let info = FitInfo {
            n_samples: problem.n_samples,
            iterations: iteration,
            objective,
            max_abs_gradient,
        };
        if max_abs_gradient < params.tol {
            return Ok((theta, info));
        }
        if iteration == params.max_iter {
            break;
        }

        let neg_grad: Vec<f64> = grad.iter().map(|g| -g).collect();
        let step = cholesky_solve(&mut hess, theta.len(), &neg_grad).map_err(|e| {
            MlError::Solver(format!(
                "{name}Hessian is not positive definite (pivot {}: {:e}){hint}",
                e.pivot, e.value
            ))
        })?;
        let slope: f64 = grad.iter().zip(&step).map(|(g, s)| g * s).sum();
        if -slope <= problem.floor.ulps * f64::EPSILON * objective.abs().max(1.0) {
            return at_rounding_floor(theta, info, params.tol);
        }
        // Backtracking (Armijo): Newton's full step is almost always taken,
        // halving only guards the first iterations far from the optimum.
        let mut t = 1.0;
        loop {
            let trial: Vec<f64> = theta.iter().zip(&step).map(|(x, s)| x + t * s).collect();
            let trial_objective = (problem.objective)(&trial);
            if trial_objective <= objective + 1e-4 * t * slope {
                if problem.floor.stop_without_decrease && trial_objective >= objective {
                    return at_rounding_floor(theta, info, params.tol);
                }
                theta = trial;
                objective = trial_objective;
                break;
            }
            t /= 2.0;
            if t < 1e-10 {
                // No decrease possible at machine precision.
                return at_rounding_floor(theta, info, params.tol);
            }
        }
    }
    Err(MlError::Solver(format!(
        "{name}no convergence in {} iterations{hint}",
        params.max_iter
    )))
}

/// No step can lower the objective any more at f64 precision: the fit is
/// accepted if the gradient is as small as that rounding explains
/// (`√tol`), and refused otherwise (a stall far from the optimum).
fn at_rounding_floor(theta: Vec<f64>, info: FitInfo, tol: f64) -> Result<(Vec<f64>, FitInfo)> {
    if info.max_abs_gradient < tol.sqrt() {
        Ok((theta, info))
    } else {
        Err(MlError::Solver(format!(
            "no further decrease at iteration {}, gradient {:e}",
            info.iterations, info.max_abs_gradient
        )))
    }
}

#[cfg(test)]
mod tests;
