"""Computes the poisson-regression reference case with NumPy, independently of the Swift code.

w*(theta) = argmin_w  sum_i [exp(x_i.w) - y_i x_i.w] / n + 0.5 * theta * ||w||^2
Solved by Newton's method to machine precision; dw/dtheta = -H^{-1} w* (implicit function
theorem on the gradient), cross-checked by central finite differences of re-solving.
Run: python3 tools/make_reference_case.py > Catalog/poisson-regression/cases/poisson_wrt_theta.json
"""
import json
import numpy as np

rng = np.random.default_rng(7)
n, d = 40, 6
X = rng.normal(size=(n, d)) / np.sqrt(d)
w_true = rng.normal(size=d) * 0.5
y = rng.poisson(np.exp(X @ w_true)).astype(float)
theta = 0.3

def solve(theta):
    w = np.zeros(d)
    for _ in range(100):
        mu = np.exp(X @ w)
        g = X.T @ (mu - y) / n + theta * w
        H = X.T @ (mu[:, None] * X) / n + theta * np.eye(d)
        step = np.linalg.solve(H, g)
        w -= step
        if np.linalg.norm(step) < 1e-15:
            break
    return w

w = solve(theta)
mu = np.exp(X @ w)
H = X.T @ (mu[:, None] * X) / n + theta * np.eye(d)
J = -np.linalg.solve(H, w)
h = 1e-6
fd = (solve(theta + h) - solve(theta - h)) / (2 * h)
fd_err = float(np.max(np.abs(fd - J)) / np.max(np.abs(J)))
assert fd_err < 1e-7, fd_err

case = {
    "format": "implicit-case/1",
    "id": "poisson_wrt_theta",
    "family": "poisson-regression",
    "title": "Poisson regression with l2 regularisation, derivative w.r.t. theta",
    "problem": "w*(theta) = argmin_w mean_i [exp(x_i^T w) - y_i x_i^T w] + 0.5*theta*||w||^2",
    "optimality_condition": "F(w, theta) = X^T (exp(Xw) - y)/n + theta*w",
    "data": {"X": X.tolist(), "y": y.tolist()},
    "theta": {"theta": theta},
    "outputs": {"w": {"value": w.tolist(), "jacobian": {"theta": J.tolist()}}},
    "reference": {
        "computed_with": "NumPy %s (tools/make_reference_case.py): Newton to 1e-15, dense implicit solve" % np.__version__,
        "finite_difference_max_rel_err": fd_err,
        "closed_form": "dw/dtheta = -(X^T diag(exp(Xw)) X / n + theta I)^{-1} w",
    },
}
print(json.dumps(case, indent=1))
