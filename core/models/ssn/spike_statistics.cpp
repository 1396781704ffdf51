#include "core/models/ssn/spike_statistics.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

namespace sr::ssn {
SpikeStatistics::SpikeStatistics(int dim, int t_ref, int stdp_num_last_spikes,
                                 std::vector<double> stdp_widths)
    : dim_(dim),
      t_ref_(t_ref),
      num_last_(stdp_num_last_spikes),
      widths_(std::move(stdp_widths)),
      spike_counts_(static_cast<std::size_t>(dim)),
      state_counts_(std::size_t{1} << dim),
      pair_sums_(widths_.size(), Matrix::Zero(dim, dim)),
      stride_(dim <= kSmallStride ? kSmallStride : (dim + kRowAlignLanes - 1) / kRowAlignLanes * kRowAlignLanes),
      small_single_(stride_ == kSmallStride && widths_.size() == 1 && stdp_num_last_spikes == 1),
      pair_rows_(widths_.size() * static_cast<std::size_t>(dim) * static_cast<std::size_t>(stride_)),
      recent_(static_cast<std::size_t>(stride_) * static_cast<std::size_t>(stdp_num_last_spikes)),
      recent_slot_(static_cast<std::size_t>(dim)),
      t_ref_real_(t_ref),
      last_spike_(static_cast<std::size_t>(stride_)),
      state_weight_(static_cast<std::size_t>(stride_), 0.0) {
    for (int i = 0; i < dim; ++i) state_weight_[i] = static_cast<double>(std::uint32_t{1} << state_bit(i, dim));
}

void SpikeStatistics::reset(std::int64_t duration, StateSampling sampling) {
    duration_ = duration;
    num_spikes_ = 0;
    // np.arange(0, duration, t_ref / 2): ceil(duration / (t_ref / 2)) sample times.
    states_ = sampling == StateSampling::on ? StateCounter::spikes : StateCounter::nobody;
    num_samples_ = sampling == StateSampling::on ? (2 * duration + t_ref_ - 1) / t_ref_ : 0;
    std::fill(spike_counts_.begin(), spike_counts_.end(), 0);
    std::fill(state_counts_.begin(), state_counts_.end(), 0);
    for (Matrix& m : pair_sums_) m.setZero();
    std::fill(pair_rows_.begin(), pair_rows_.end(), 0.0);
    std::fill(recent_.begin(), recent_.end(), -std::numeric_limits<double>::infinity());
    std::fill(recent_slot_.begin(), recent_slot_.end(), 0);
    next_sample_ = 0;
    next_sample_twice_time_ = 0;
    std::fill(last_spike_.begin(), last_spike_.end(), -std::numeric_limits<double>::infinity());
}

void SpikeStatistics::add_spike_general(std::int64_t t, int neuron) {
    if (stride_ == kSmallStride) {
        add_spike_blocks<kNarrowLanes, kSmallStride / kNarrowLanes, false>(t, neuron);
    } else {
        add_spike_blocks<kNarrowLanes, 0, false>(t, neuron);
    }
}

std::int64_t* SpikeStatistics::count_states_by_mask() {
    if (states_ != StateCounter::spikes) return nullptr;
    states_ = StateCounter::simulator;
    mask_counts_.assign(state_counts_.size(), 0);  // allocated on first use
    return mask_counts_.data();
}

void SpikeStatistics::finish() {
    if (states_ == StateCounter::simulator) {
        std::int64_t counted = 0;
        for (std::size_t mask = 0; mask < mask_counts_.size(); ++mask) {
            std::size_t state = 0;
            for (int i = 0; i < dim_; ++i) state |= ((mask >> i) & 1U) << state_bit(i, dim_);
            state_counts_[state] += mask_counts_[mask];
            counted += mask_counts_[mask];
        }
        if (counted != num_samples_) {
            throw std::logic_error("the simulator counted " + std::to_string(counted) + " state samples of " +
                                   std::to_string(num_samples_));
        }
        next_sample_ = num_samples_;
    }
    // After the last on-period has ended every neuron is off: the samples up to then one by
    // one, the rest in one go (state 0).
    const double last = *std::max_element(last_spike_.begin(), last_spike_.end());
    if (states_ == StateCounter::spikes && last >= 0.0) {
        count_samples_through<kNarrowLanes, 0>(std::min(duration_ - 1, static_cast<std::int64_t>(last) + t_ref_));
    }
    state_counts_[0] += num_samples_ - next_sample_;
    next_sample_ = num_samples_;
    for (std::size_t w = 0; w < pair_sums_.size(); ++w) {
        for (int post = 0; post < dim_; ++post) {
            const double* row = &pair_rows_[(w * static_cast<std::size_t>(dim_) + static_cast<std::size_t>(post)) * stride_];
            for (int pre = 0; pre < dim_; ++pre) pair_sums_[w](post, pre) = pre == post ? 0.0 : row[pre];
        }
    }
}

void SpikeStatistics::throw_refractory_violation(std::int64_t t, int neuron) {
    throw std::logic_error("spike of neuron " + std::to_string(neuron) + " at step " +
                           std::to_string(t) + " falls within its refractory period");
}

Matrix stdp_from_pair_sums(const Matrix& pair_sums, const Matrix& a_plus, const Matrix& a_minus,
                           double tau) {
    // Σ(1 − Δt/τ) = Σ(τ − Δt)/τ; the causal sums of (i, j) are the acausal sums of (j, i).
    Matrix out = (a_plus.cwiseProduct(pair_sums) + a_minus.cwiseProduct(pair_sums.transpose())) / tau;
    out.diagonal().setZero();
    return out;
}

Vector spike_rates(const SpikeStatistics& stats, int t_ref) {
    Vector rates(stats.dim());
    for (int i = 0; i < stats.dim(); ++i) {
        rates[i] = static_cast<double>(stats.spike_counts()[i]) /
                   static_cast<double>(stats.duration()) * t_ref;
    }
    return rates;
}

std::vector<double> sampled_distribution(const SpikeStatistics& stats) {
    const auto total = static_cast<double>(stats.num_state_samples());
    std::vector<double> distr(stats.state_counts().size());
    for (std::size_t s = 0; s < distr.size(); ++s) {
        distr[s] = static_cast<double>(stats.state_counts()[s]) / total;
    }
    return distr;
}

void sampled_coactivation(const SpikeStatistics& stats, Matrix& coact, Vector& marginals) {
    const int dim = stats.dim();
    coact = Matrix::Zero(dim, dim);
    const auto& counts = stats.state_counts();
    for (std::size_t s = 0; s < counts.size(); ++s) {
        if (counts[s] == 0) continue;
        const auto c = static_cast<double>(counts[s]);
        for (int i = 0; i < dim; ++i) {
            if (((s >> state_bit(i, dim)) & 1U) == 0) continue;
            for (int j = 0; j < dim; ++j) {
                if ((s >> state_bit(j, dim)) & 1U) coact(i, j) += c;
            }
        }
    }
    coact /= static_cast<double>(stats.num_state_samples());
    marginals = coact.diagonal();
    coact.diagonal().setZero();
}

}  // namespace sr::ssn
