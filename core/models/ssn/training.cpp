#include "core/models/ssn/training.hpp"

#include "core/byte_io.hpp"

namespace sr::ssn {
namespace {

constexpr std::uint64_t kSimStream = 0x5133;

// Kernel widths the pair sums are needed for: the reference passes tau_minus as both widths.
std::vector<double> stdp_widths(const SsnConfig& c) {
    if (c.sal.tau_minus == c.ws.tau_minus) return {c.ws.tau_minus};
    return {c.ws.tau_minus, c.sal.tau_minus};
}

// Checkpoint format: kCheckpointMagic, u32 version, u32 endianness mark, then the fields in the
// order of encode_checkpoint, every value as its native bytes, every sequence preceded by its
// length (u64), matrices by rows and cols.
constexpr char kCheckpointMagic[8] = {'S', 'R', 'S', 'S', 'N', 'C', 'K', '\0'};
constexpr std::uint32_t kCheckpointVersion = 1;
constexpr std::uint32_t kEndianMark = 0x01020304;

using Writer = ByteWriter<std::uint64_t>;
using Reader = ByteReader<std::uint64_t>;  // no error message: a bad file leaves ok() false

void put_doubles(Writer& w, const double* data, std::size_t n) {
    w.put<std::uint64_t>(n).put_raw(data, n * sizeof(double));
}

void put_matrix(Writer& w, const Matrix& m) {
    w.put<std::uint64_t>(static_cast<std::uint64_t>(m.rows())).put<std::uint64_t>(static_cast<std::uint64_t>(m.cols()));
    w.put_raw(m.data(), static_cast<std::size_t>(m.size()) * sizeof(double));
}

std::vector<double> get_doubles(Reader& r, std::uint64_t expected) {
    if (r.get<std::uint64_t>() != expected || !r.ok()) return r.fail(), std::vector<double>{};
    std::vector<double> v(expected);
    return r.take(v.data(), expected * sizeof(double)) ? v : std::vector<double>{};
}

Vector get_vector(Reader& r, std::uint64_t expected) {
    const std::vector<double> v = get_doubles(r, expected);
    return r.ok() ? Vector(Eigen::Map<const Vector>(v.data(), static_cast<Eigen::Index>(v.size()))) : Vector();
}

Matrix get_matrix(Reader& r, std::uint64_t rows, std::uint64_t cols) {
    const auto r_rows = r.get<std::uint64_t>();
    const auto r_cols = r.get<std::uint64_t>();
    if (!r.ok() || r_rows != rows || r_cols != cols) return r.fail(), Matrix();
    Matrix m(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));
    return r.take(m.data(), rows * cols * sizeof(double)) ? m : Matrix();
}

}  // namespace

std::string encode_checkpoint(const TrainingState& state, std::string_view fingerprint) {
    std::string out;
    Writer w(out);
    for (const char c : kCheckpointMagic) w.put(c);
    w.put(kCheckpointVersion);
    w.put(kEndianMark);
    w.put(fingerprint);
    w.put(state.epoch);
    w.put(state.simulated_steps);
    w.put(state.num_spikes);
    for (const std::uint64_t word : state.rng) w.put(word);
    put_matrix(w, state.w);
    put_doubles(w, state.b.data(), static_cast<std::size_t>(state.b.size()));
    w.put<std::uint64_t>(state.validations.size());
    for (const ValidationRecord& v : state.validations) {
        w.put(v.epoch);
        w.put(v.dkl);
        w.put(v.asym);
        put_matrix(w, v.w);
        put_doubles(w, v.b.data(), static_cast<std::size_t>(v.b.size()));
        put_doubles(w, v.distr.data(), v.distr.size());
    }
    return out;
}

std::optional<TrainingState> decode_checkpoint(std::string_view bytes, std::string_view fingerprint,
                                               const SsnConfig& config) {
    Reader r(bytes);
    for (const char c : kCheckpointMagic) {
        if (r.get<char>() != c) return std::nullopt;
    }
    if (r.get<std::uint32_t>() != kCheckpointVersion || r.get<std::uint32_t>() != kEndianMark) return std::nullopt;
    if (r.text() != fingerprint || !r.ok()) return std::nullopt;

    const auto dim = static_cast<std::uint64_t>(config.dim);
    const std::uint64_t num_states = std::uint64_t{1} << config.dim;
    TrainingState state;
    state.epoch = r.get<std::int64_t>();
    state.simulated_steps = r.get<std::int64_t>();
    state.num_spikes = r.get<std::int64_t>();
    for (std::uint64_t& word : state.rng) word = r.get<std::uint64_t>();
    state.w = get_matrix(r, dim, dim);
    state.b = get_vector(r, dim);
    const auto n = r.get<std::uint64_t>();
    if (!r.ok() || state.epoch < 0 || state.epoch > config.num_epochs || state.simulated_steps < 0 ||
        state.num_spikes < 0 || n > static_cast<std::uint64_t>(config.num_validations())) {
        return std::nullopt;
    }
    std::int64_t previous = -1;
    for (std::uint64_t k = 0; k < n; ++k) {
        ValidationRecord v;
        v.epoch = r.get<std::int64_t>();
        v.dkl = r.get<double>();
        v.asym = r.get<double>();
        v.w = get_matrix(r, dim, dim);
        v.b = get_vector(r, dim);
        v.distr = get_doubles(r, num_states);
        if (!r.ok() || v.epoch <= previous || v.epoch >= state.epoch || !config.is_validation_epoch(v.epoch)) {
            return std::nullopt;
        }
        previous = v.epoch;
        state.validations.push_back(std::move(v));
    }
    // Every validation epoch before `epoch` has its record (epoch 0 is one).
    const auto expected = static_cast<std::uint64_t>(state.epoch == 0 ? 0 : (state.epoch - 1) / config.val_step + 1);
    if (!r.at_end() || n != expected) return std::nullopt;
    return state;
}

Trainer::Trainer(SsnConfig config, SimulationPath path)
    : config_(std::move(config)),
      path_(path),
      problem_(make_problem(config_)),
      target_(boltzmann_statistics(problem_.w_target, problem_.b_target)),
      target_marginals_(target_.coact.diagonal()),
      target_coact_(target_.coact),
      sal_width_(stdp_widths(config_).size() - 1),
      stats_(config_.dim, config_.t_ref, config_.stdp_num_last_spikes, stdp_widths(config_)),
      sampler_(config_.dim, config_.t_ref, config_.tau_syn) {
    target_coact_.diagonal().setZero();
}

TrainingState Trainer::initial_state() const {
    TrainingState state;
    state.w = problem_.w_init;
    state.b = problem_.b_init;
    state.rng = Rng{config_.seed_sim, kSimStream}.state();
    return state;
}

void Trainer::run_epoch(TrainingState& state) {
    const SsnConfig& c = config_;
    const bool validation = c.is_validation_epoch(state.epoch);
    const std::int64_t duration = c.epoch_duration(state.epoch);

    Rng rng{0};
    rng.set_state(state.rng);
    // Only validation epochs use the sampled distribution (as in train_bm.py's callback).
    stats_.reset(duration, validation ? StateSampling::on : StateSampling::off);
    if (path_ == SimulationPath::event_driven) {
        sampler_.run(state.w, state.b, duration, rng, stats_);
    } else {
        simulate_time_stepped(state.w, state.b, c.t_ref, c.tau_syn, duration, rng, stats_);
    }
    stats_.finish();
    state.rng = rng.state();

    const auto d = static_cast<double>(duration);
    const Vector rates = spike_rates(stats_, c.t_ref);
    const Matrix stdp_ws = stdp_from_pair_sums(stats_.pair_sums(0), problem_.ws_a_plus,
                                               problem_.ws_a_minus, c.ws.tau_minus) / d * c.t_ref;

    state.b = state.b + c.lr_bias * (target_marginals_ - rates);
    state.w = state.w + c.lr_weight * (target_coact_ - stdp_ws);
    // With lr.symm = 0 the reference adds 0·SAL, which changes nothing; skip computing it.
    if (c.lr_symm != 0.0) {
        const Matrix sal = stdp_from_pair_sums(stats_.pair_sums(sal_width_), problem_.sal_a_plus,
                                               problem_.sal_a_minus, c.sal.tau_minus) / d * c.t_ref;
        state.w = state.w + c.lr_symm * sal;
    }
    state.w = state.w.cwiseMax(-c.max_w).cwiseMin(c.max_w);
    state.b = state.b.cwiseMax(-c.max_b).cwiseMin(c.max_b);

    if (validation) {
        ValidationRecord record;
        record.epoch = state.epoch;
        record.distr = sampled_distribution(stats_);
        record.dkl = kl_divergence(target_.probs, record.distr);
        record.asym = weight_asymmetry(state.w);
        record.w = state.w;
        record.b = state.b;
        state.validations.push_back(std::move(record));
    }
    state.simulated_steps += duration;
    state.num_spikes += stats_.num_spikes();
    ++state.epoch;
}

}  // namespace sr::ssn
