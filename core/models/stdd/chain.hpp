#pragma once
// Exact spike-timing-difference distributions (STDDs) of two coupled sampling neurons, as
// sal-code's stdd_calculator (stddc.STDDMaker) defines them: a Markov chain over the two neurons'
// ages ζ = steps since their last spike (0 … t_max − 1, the last age absorbing), neuron k spiking
// once its age is at least t_ref − 1 with probability σ(b_k + w_k·PSP(ζ_other)) =
// 1 / (1 + t_ref·e^−u). Its stationary distribution comes from a sparse LU solve (not an
// eigen-solver); each half of the STDD follows the chain from the states where the first neuron
// just spiked until the second one spikes.
//
// The reference's quirks are kept, because its numbers are the figures' (docs/sal.md): the chain
// allows an inter-spike interval of t_ref (the sampler of `ssn` needs t_ref + 1), counts paths
// through simultaneous spikes twice, and an alpha PSP freezes at age t_max − 1.
#include <string>
#include <vector>

namespace sr::stdd {

enum class Psp { rect, exp, cutoff, tail, alpha };

// "rect", "exp", "cutoff", "tail", "alpha"; throws std::invalid_argument otherwise.
Psp parse_psp(const std::string& name);

// The PSP kernel κ(ζ) of stddc/funcs.py (t_syn is ignored by rect).
double psp_value(Psp psp, int zeta, int t_ref, double t_syn);

// The chain's parameters in the chain's own labels: neuron 1 feels neuron 2 through w_12 and
// vice versa. (STDDMaker's constructor swaps the labels; see ChainParams::from_constructor.)
struct ChainParams {
    Psp psp = Psp::rect;
    int t_max = 30;
    int t_ref = 10;
    double t_syn = 10.0;
    double w_12 = 0.0;
    double w_21 = 0.0;
    double b_1 = 0.0;
    double b_2 = 0.0;

    // STDDMaker(psp, t_max, t_ref, t_syn, w_12, w_21, b_1, b_2) stores w_12 as w_21, w_21 as
    // w_12, b_1 as b_2 and b_2 as b_1.
    static ChainParams from_constructor(Psp psp, int t_max, int t_ref, double t_syn, double w_12, double w_21,
                                        double b_1, double b_2);
};

// The stationary distribution over the t_max² states (index ζ_1·t_max + ζ_2) of the chain with
// these weights and biases (in the roles of T's neurons 1 and 2), normalised to sum 1.
std::vector<double> stationary_distribution(const ChainParams& chain, double w_12, double w_21, double b_1, double b_2);

// The STDD over Δt = −(t_max − 1) … t_max − 1 (2·t_max − 1 values); each half sums to 1/2.
// The Δt = 0 entry: NaN, 0, or the mean of its neighbours (fill "nan", "zero", "smooth").
enum class Middle { nan, zero, smooth };
std::vector<double> stdd(const ChainParams& chain, Middle middle);

// The SAL updates (sal_12, sal_21): the STDD (middle 0) against the exponential window
// k(Δt) = a_plus·e^(−Δt/tau_plus) for Δt > 0, a_minus·e^(Δt/tau_minus) for Δt < 0, and against
// the window reversed in time.
struct SalWindow {
    double a_plus = -1.0;
    double a_minus = 1.0;
    double tau_plus = 10.0;
    double tau_minus = 10.0;
};
double exp_window(double dt, const SalWindow& window);
std::pair<double, double> sal(const std::vector<double>& stdd_values, int t_max, const SalWindow& window);

}  // namespace sr::stdd
