#include "core/models/spikegd/qif.hpp"

namespace sr::spikegd {

namespace {

// Forward-mode dual number over the three local inputs; only the operations the closed forms use.
struct D {
    double v;
    double d[3];
};
D var(double v, int i) {
    D x{v, {0, 0, 0}};
    x.d[i] = 1;
    return x;
}
D cst(double v) { return D{v, {0, 0, 0}}; }
D chain(const D& a, double value, double slope) {
    return D{value, {slope * a.d[0], slope * a.d[1], slope * a.d[2]}};
}
D operator+(const D& a, const D& b) { return D{a.v + b.v, {a.d[0] + b.d[0], a.d[1] + b.d[1], a.d[2] + b.d[2]}}; }
D operator-(const D& a, const D& b) { return D{a.v - b.v, {a.d[0] - b.d[0], a.d[1] - b.d[1], a.d[2] - b.d[2]}}; }
D operator-(const D& a) { return D{-a.v, {-a.d[0], -a.d[1], -a.d[2]}}; }
D operator*(const D& a, const D& b) {
    return D{a.v * b.v, {a.d[0] * b.v + a.v * b.d[0], a.d[1] * b.v + a.v * b.d[1], a.d[2] * b.v + a.v * b.d[2]}};
}
D operator/(const D& a, const D& b) {
    const double q = a.v / b.v;
    return D{q, {(a.d[0] - q * b.d[0]) / b.v, (a.d[1] - q * b.d[1]) / b.v, (a.d[2] - q * b.d[2]) / b.v}};
}
D operator+(const D& a, double b) { return a + cst(b); }
D operator-(double a, const D& b) { return cst(a) - b; }
D operator-(const D& a, double b) { return a - cst(b); }
D operator+(double a, const D& b) { return cst(a) + b; }
D operator*(double a, const D& b) { return cst(a) * b; }
D operator/(const D& a, double b) { return a / cst(b); }
D operator/(double a, const D& b) { return cst(a) / b; }
D exp(const D& a) { const double e = std::exp(a.v); return chain(a, e, e); }
D log(const D& a) { return chain(a, std::log(a.v), 1 / a.v); }
D sqrt(const D& a) { const double s = std::sqrt(a.v); return chain(a, s, 0.5 / s); }
D tan(const D& a) { const double t = std::tan(a.v); return chain(a, t, 1 + t * t); }
D atan(const D& a) { return chain(a, std::atan(a.v), 1 / (1 + a.v * a.v)); }
D tanh(const D& a) { const double t = std::tanh(a.v); return chain(a, t, 1 - t * t); }
D atanh(const D& a) { return chain(a, std::atanh(a.v), 1 / (1 - a.v * a.v)); }

Local local(const D& x) { return Local{x.v, {x.d[0], x.d[1], x.d[2]}}; }

// The I > 0 closed form (also the reference's derivative estimate at I = 0 with I + 1e-6).
D flow_positive(const D& V, const D& I, const D& e) {
    const D s = sqrt(I);
    return s * e * tan(atan(V / s) + s * (1.0 - e));
}
D flow_outside(const D& V, const D& s, const D& e) {
    return s * e / tanh(atanh(s / V) - s * (1.0 - e));
}

// d V(dt) / d I at I = 0: the I = 0 flow linearised in the current, which decays as exp(-2t)
// (in units of tau): e^t / D^2 [V0^2 (1 - e^-3t) / 3 - V0 (V0 - 1)(1 - e^-2t) + (V0 - 1)^2 (1 - e^-t)]
// with D = V0 - (V0 - 1) e^t, the I = 0 solution being V0 / D.
double dflow_dI_at_zero(double V0, double e) {
    const double E = 1 / e;
    const double Dn = V0 - (V0 - 1) * E;
    const double N = V0 * V0 * (1 - e * e * e) / 3 - V0 * (V0 - 1) * (1 - e * e) + (V0 - 1) * (V0 - 1) * (1 - e);
    return E * N / (Dn * Dn);
}

}  // namespace

Local qif_flow_V(const QifParams& q, double V0, double I0, double dt0) {
    if (!(dt0 > 0)) return Local{V0, {1, 0, 0}};
    const D V = var(V0, 0), I = var(I0, 1), dt = var(dt0, 2);
    const D e = exp(-dt / q.tau);
    Local out;
    if (I0 == 0) {
        out = local(V / (V - (V - 1.0) / e));
        if (q.rule == GradientRule::reference) {
            const Local g = local(flow_positive(V, I + 1e-6, e));
            for (int k = 0; k < 3; ++k) out.d[k] = g.d[k];
        } else {
            // V and dt from the I = 0 formula; its current derivative in units of tau is d/dI.
            out.d[1] = dflow_dI_at_zero(V0, e.v);
        }
    } else if (I0 > 0) {
        out = local(flow_positive(V, I, e));
    } else {
        const D s = sqrt(-I);
        const double Vabs = std::abs(V0);
        if (Vabs == s.v) {
            // On a fixed point of the frozen-current flow; derivative from the outside branch.
            out.v = (V0 > 0 ? 1.0 : -1.0) * s.v * e.v;
            const Local g = local(flow_outside(V + 1e-6, s, e));
            for (int k = 0; k < 3; ++k) out.d[k] = g.d[k];
        } else if (Vabs > s.v) {
            out = local(flow_outside(V, s, e));
        } else {
            out = local(s * e * tanh(atanh(V / s) - s * (1.0 - e)));
        }
    }
    if (out.v > 1 / q.eps) return Local{1 / q.eps, {0, 0, 0}};
    return out;
}

Local qif_dt_spike(const QifParams& q, double V0, double I0) {
    constexpr double inf = std::numeric_limits<double>::infinity();
    const D V = var(V0, 0), I = var(I0, 1);
    auto positive = [&](const D& Ip) {
        const D s = sqrt(Ip);
        return -q.tau * log(1.0 - M_PI / (2.0 * s) + atan(V / s) / s);
    };
    if (I0 == 0) {
        if (!(V0 > 1)) return Local{inf, {0, 0, 0}};
        Local out = local(q.tau * log(V / (V - 1.0)));
        if (q.rule == GradientRule::reference) {
            const Local g = local(positive(I + 1e-6));
            out.d[0] = g.d[0];
            out.d[1] = g.d[1];
        } else {
            // The pole of V0 / D moves by -I N / (V0 (V0 - 1)) at first order in I (see above),
            // N taken at the spike, where e^-t = (V0 - 1) / V0.
            const double r = (V0 - 1) / V0;
            const double N = V0 * V0 * (1 - r * r * r) / 3 - V0 * (V0 - 1) * (1 - r * r) + (V0 - 1) * (V0 - 1) * (1 - r);
            out.d[1] = -q.tau * N / (V0 * (V0 - 1));
        }
        return out;
    }
    if (I0 > 0) {
        const double s = std::sqrt(I0);
        if (!(s + std::atan(V0 / s) > M_PI / 2)) return Local{inf, {0, 0, 0}};
        return local(positive(I));
    }
    const double s = std::sqrt(-I0);
    if (V0 > s && V0 * std::tanh(s) > s) {
        const D sd = sqrt(-I);
        return local(-q.tau * log(1.0 - atanh(sd / V) / sd));
    }
    return Local{inf, {0, 0, 0}};
}

namespace {
D softplus(const QifParams& q, const D& x) { return q.alpha * log(1.0 + exp(x / q.alpha)); }
}  // namespace

Local qif_t_pseudo(const QifParams& q, double V0, double Ip0, double k, double T) {
    const D V = var(V0, 0), Ip = var(Ip0, 1);
    const D root = sqrt(softplus(q, Ip));
    const D phi = q.tau * (atan((V - 0.5) / root) + M_PI / 2) / root;
    const D theta = q.tau * M_PI / root;
    return local(cst(T) + k * theta - phi);
}

Local qif_pseudo_rate(const QifParams& q, double V0, double Ip0) {
    const D V = var(V0, 0), Ip = var(Ip0, 1);
    const D root = sqrt(softplus(q, Ip));
    const D phi = q.tau * (atan((V - 0.5) / root) + M_PI / 2) / root;
    const D theta = q.tau * M_PI / root;
    return local(phi / theta);
}

}  // namespace sr::spikegd
