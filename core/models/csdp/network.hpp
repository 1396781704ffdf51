#pragma once
// The CSDP spiking circuit of ago109/contrastive-signal-dependent-plasticity (csdp_model.py on
// ngclearn 1.2b3 / ngcsimlib 0.3b4), step by step in the order the compiled circuit runs it.
// Float32 throughout, like the reference. See docs/csdp.md for the equations and the quirks kept.
#include "core/rng.hpp"

#include <Eigen/Core>

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace sr::csdp {

using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowVec = Eigen::Matrix<float, 1, Eigen::Dynamic>;

// Constants hard-coded in csdp_model.py.
inline constexpr float kTauM = 100.0f;      // membrane time constant (ms)
inline constexpr float kVThr = 0.055f;      // base threshold
inline constexpr float kThrJitter = 0.025f; // initial thresholds uniform in kVThr +- this
inline constexpr float kRm = 0.1f;          // resistance of forward / context synapses
inline constexpr float kInhR = 0.01f;       // resistance of the lateral (inhibitory) synapses
inline constexpr float kRhoB = 0.001f;      // per-row adaptive threshold step
inline constexpr float kThrFloor = 0.025f;  // adaptive thresholds never fall below this
inline constexpr float kTauTr = 13.0f;      // trace time constant (ms)
inline constexpr float kGoodness = 10.0f;   // goodness threshold of both modulators

// Binary spikes of R rows: dense 0/1 floats plus each row's active units (ascending), which the
// sparse forward pass and updates walk.
struct Spikes {
    Mat dense;
    std::vector<std::vector<std::int32_t>> active;
    void reset(int rows, int cols);  // all silent
    void index_row(int row);  // rebuilds active[row] from dense
    std::int64_t total() const;
};

// For every unit the rows in which it spiked (ascending): the transpose of Spikes' row lists.
struct ByUnit {
    std::vector<std::int32_t> offsets;  // units + 1
    std::vector<std::int32_t> rows;
    void build(const Spikes& s);
    int count(int unit) const { return offsets[unit + 1] - offsets[unit]; }
};

// sLIF cells with per-row adaptive thresholds (SLIFCell: resist_m 1, no refractory period, no
// inhibition inside the cell).
struct Slif {
    RowVec thr0;  // initial thresholds (1 x n), restored at every reset
    bool adaptive = true;  // rho_b > 0 (hidden and output layers), else the threshold stays
    Mat j, v, thr;
    Spikes s;
    void reset(int rows);
};

// A weight matrix (pre x post) with Adam moments that persist across batches.
struct Synapse {
    std::string name;
    Mat w, m1, m2;
    float out_scale = 1.0f;  // outputs = (inputs @ w) * out_scale
    void init_optimizer();
};

// A synapse's update scale and constraints.
struct Rule {
    float grad_scale = kRm;  // CSDP: the modulator times resist_scale; Hebbian: post_wght
    bool nonnegative = false;  // clip to [0, 1] instead of [-1, 1]
    bool hollow = false;  // zero diagonal after every update
};

// OpenMP team size for a loop of `work` element operations: `threads`, or 1 for small loops.
// Every loop splits independent rows, so the team size never changes results.
int team(std::int64_t work, int threads);

// The cells' updates, as the network runs them (rows independent; `threads` OpenMP threads).
// One Euler step of sLIF cells: v += dt (j - v) / tau_m; spike where v > thr (then v = 0); adaptive
// thresholds move by rho_b (spikes in the row - 1), floored at 0.025.
void slif_step(Slif& z, float dt, int threads);
// VarTrace with "lin" decay and a_delta 0: tr = tr * decay, then 1 where a spike came.
void trace_step(Mat& tr, const Spikes& s, float decay, int threads);
// GoodnessModCell: gradient w.r.t. z of the mean over rows of the logistic loss of
// (sum_j z_j^2 - kGoodness) against the row's label (positive > 0); also each row's sum_j z_j^2.
void goodness_modulator(const Mat& z, const std::vector<float>& positive, Mat& mod,
                        std::vector<float>& goodness, int threads);
// MaskedErrorCell: (target - mu) * 2 * mask / sum(mask), mask = positive.
void masked_error(const Mat& target, const Mat& mu, const std::vector<float>& positive, Mat& e);

struct Sizes {
    int in = 784, h1 = 3000, h2 = 600, out = 10;
};

struct Config {
    Sizes sizes;
    int steps = 50;  // T
    float dt = 3.0f;
    bool supervised = true;
    bool learn_recon = true;
    // The reference picks eta and w_decay from the batch size (the command line's eta is ignored).
    int batch_size = 500;
    int threads = 1;
};

// The learning rate and decay of csdp_model.py's batch-size table.
struct Rates {
    float eta, w_decay;
};
Rates rates_for_batch(int batch_size);

// Synapse names in the order of ngcsimlib's evolve path.
enum SynapseId { W1, V2, W2, V2y, V3y, M1, M2, C2, C3, R1, kNumSynapses };
const char* synapse_name(SynapseId id);

// What process() returns per row.
struct ProcessOutput {
    Mat y_count;  // R x out: output spikes summed over the steps
    Mat s0_mu;    // R x in: the reconstruction trace summed over the steps, divided by T + 1
    // Goodness sum_j trace^2 per layer (1, 2), summed over steps, per row.
    Mat goodness;  // R x 2
};

// Input spikes drawn by the reference's own generator, for a replay (one R x in matrix per step).
struct Injection {
    std::vector<Mat> input_spikes;
};

class Network {
public:
    // Random initial weights and thresholds (uniform(-1, 1) weights, jittered thresholds), all
    // from `init`.
    Network(const Config& config, Rng& init);

    const Config& config() const { return config_; }
    Synapse& synapse(SynapseId id) { return syn_[id]; }
    const Synapse& synapse(SynapseId id) const { return syn_[id]; }
    bool has_synapse(SynapseId id) const;
    Slif& z1() { return z1_; }
    Slif& z2() { return z2_; }
    Slif& zy() { return zy_; }
    Slif& zR() { return zR_; }
    const Slif& z1() const { return z1_; }
    const Slif& z2() const { return z2_; }
    const Slif& zy() const { return zy_; }
    const Slif& zR() const { return zR_; }
    const Spikes& z0() const { return z0_; }
    const Spikes& z3() const { return z3_; }
    const Mat& trace(int layer) const { return tr_[layer]; }  // tr0..tr3
    const Mat& modulator(int layer) const { return mod_[layer - 1]; }  // g1, g2 (R x n)
    const Mat& readout_error() const { return ey_; }
    const Mat& recon_error() const { return eR_; }
    const Mat& synapse_output(SynapseId id) const { return out_[id]; }
    float adam_steps() const { return adam_t_; }

    // One process() call: training (plasticity on; the first half of the rows are positive
    // samples, the second half negative ones with their label context) or evaluation (no
    // plasticity, no label context, every row counts as positive).
    // x: R x in pixel intensities; context: R x out (training; ignored in evaluation).
    // Input spikes are drawn from `spikes` unless `inject` gives them. `after_step(t)` runs after
    // each step's update (t = 1..T).
    ProcessOutput process(const Mat& x, const Mat& context, bool train,
                          Rng& spikes, const Injection* inject = nullptr,
                          const std::function<void(int)>& after_step = {});

private:
    void reset(int rows);
    void forward(int t, const Mat& x, Rng& spikes, const Injection* inject);
    void evolve();
    void update_csdp(SynapseId id, const Rule& rule, const ByUnit& pre, const Mat& mod,
                     const Spikes& post);
    void update_hebbian(SynapseId id, const ByUnit& pre, const Mat& post);

    Config config_;
    Rates rates_;
    std::array<Synapse, kNumSynapses> syn_;
    Slif z1_, z2_, zy_, zR_;
    Spikes z0_, z3_;
    Spikes prev0_, prev1_, prev2_, prev3_;  // z0, z1, z2, z3 at the previous step
    std::array<Mat, 4> tr_;
    std::array<Mat, 2> mod_;
    Mat ey_, eR_;
    std::array<Mat, kNumSynapses> out_;
    std::vector<float> positive_;  // per row: 1 positive sample, 0 negative
    float adam_t_ = 0.0f;
};

}  // namespace sr::csdp
