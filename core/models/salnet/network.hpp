#pragma once
// Layered stochastic spiking networks whose feedback weights learn SAL, as sal-code's
// symmnet/sal_net.py (SALNetBase) runs them:
//  - layer l has forward weights W_l (n_l × n_{l−1}, from the layer below), feedback weights B_l
//    (n_l × n_{l+1}, from the layer above) and biases; its membrane is
//        u_l = W_l·c_{l−1} + B_l·c_{l+1} + b_l,  c = spikes in the last t_ref steps (rectangular PSP);
//  - a neuron that is not refractory (its last spike more than t_ref steps back) spikes with
//    probability σ(u − ln t_ref);
//  - SAL on B_l: at every step, each spike of neuron i of layer l adds −Σ e^(−Δ/t_ref) over the
//    spikes of neuron j of layer l+1 in the last 2·t_ref steps (Δ = 0 … 2·t_ref − 1) to ΔB_l(i, j),
//    and each spike of j adds +Σ e^(−Δ/t_ref) over i's recent spikes; per epoch
//    B_l += lr · ΔB_l / (batch · 2·t_ref), summed over the batch's independent networks.
// Event-driven: spikes are sparse (a few percent of the neurons per step), so membranes change
// only where a spike is born or leaves the PSP window (one column of W or B per event), and the
// SAL sums need only each neuron's last two spike times (refractoriness > t_ref keeps at most two
// spikes in the window) — no dense products per step. The simulation runs in float32 like the
// reference's; the weights and their updates are kept in double.
#include "core/rng.hpp"

#include <Eigen/Dense>

#include <cstdint>
#include <vector>

namespace sr::salnet {

using Matrix = Eigen::MatrixXd;  // column-major: a spike adds one contiguous column
using Vector = Eigen::VectorXd;

struct NetworkParams {
    std::vector<int> dims;  // neurons per layer, input first (at least two layers)
    int t_ref = 10;
    std::vector<Matrix> w;   // w[l] for l ≥ 1 (w[0] empty)
    std::vector<Matrix> fb;  // fb[l] for l < L − 1 (fb[L − 1] empty)
    std::vector<Vector> bias;

    int layers() const { return static_cast<int>(dims.size()); }
    // torch's defaults as sal_net.py's init_params draws them: W and B kaiming-uniform with
    // a = √5 (bound 1/√fan_in), biases uniform ±1/√n_out; layer by layer, W, B, b.
    static NetworkParams kaiming(std::vector<int> dims, int t_ref, Rng& rng);
};

// W_{l+1} against B_lᵀ, per layer pair l (symmnet/utils.py): the angle between them in degrees,
// the variance of W − Bᵀ (unbiased, as torch.var), their correlation coefficient, and the
// fraction of entries with the same sign.
struct Alignment {
    double angle = 0.0;
    double var = 0.0;
    double corr = 0.0;
    double sign_agreement = 0.0;
};
Alignment alignment(const Matrix& w, const Matrix& fb);

class SalNetwork {
public:
    // `batch` independent networks (streams {seed, 2, b}), all starting from rest.
    SalNetwork(NetworkParams params, int batch, std::uint64_t seed);

    // One epoch: `steps` steps of every network of the batch, then B_l += lr[l] · ΔB_l / (batch ·
    // 2·t_ref). The networks' states run on across epochs, as the reference never resets them.
    void run_epoch(std::int64_t steps, const std::vector<double>& lr);

    const NetworkParams& params() const { return params_; }
    // Spikes per layer in the last epoch, over all networks of the batch.
    const std::vector<std::int64_t>& last_epoch_spikes() const { return epoch_spikes_; }

    // The SAL sums of the last epoch before scaling (ΔB_l, n_l × n_{l+1}); for tests.
    const std::vector<Matrix>& last_delta() const { return last_delta_; }

private:
    // The hot path runs in float, as the reference (torch float32) does: twice the SIMD lanes
    // per spike's column update. Columns of W and B, rows of the SAL sums, contiguous.
    using FloatMatrix = Eigen::MatrixXf;
    using FloatRowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    using FloatVector = Eigen::VectorXf;

    // One network of the batch.
    struct State {
        std::vector<FloatVector> mem;
        std::vector<std::vector<std::int64_t>> last1;  // last spike per neuron
        std::vector<std::vector<std::int64_t>> last2;  // the one before
        // ring[t mod (t_ref + 1)][l]: layer l's spikes at step t, while they are in the PSP window.
        std::vector<std::vector<std::vector<int>>> ring;
        Rng rng;
        std::int64_t t = 0;
    };
    void step(State& s, std::int64_t t);
    // The membranes from the spikes in the PSP window (after the weights changed).
    void recompute_membranes(State& s) const;

    NetworkParams params_;
    std::vector<State> states_;
    double log_t_ref_;
    std::vector<float> window_;  // e^(−Δ/t_ref) for Δ = 0 … 2·t_ref − 1
    std::vector<FloatMatrix> w_;   // float copies of params_.w and params_.fb
    std::vector<FloatMatrix> fb_;
    std::vector<FloatRowMatrix> delta_;    // ΔB_l from the post side: a spike of i updates row i
    std::vector<FloatRowMatrix> delta_t_;  // ΔB_lᵀ from the pre side: a spike of j updates row j
    std::vector<Matrix> last_delta_;
    std::vector<std::int64_t> epoch_spikes_;
    std::vector<FloatVector> trace_;  // scratch: per layer, Σ e^(−Δ/t_ref) over recent spikes
    std::vector<FloatVector> prob_;   // scratch: per layer, the spike probabilities of a step
};

}  // namespace sr::salnet
