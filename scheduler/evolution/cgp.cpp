#include "scheduler/evolution/cgp.hpp"

#include <charconv>
#include <cmath>
#include <functional>
#include <stdexcept>

namespace sr::evolution {

std::string Primitive::name() const {
    switch (kind) {
        case Kind::add: return "Add";
        case Kind::sub: return "Sub";
        case Kind::mul: return "Mul";
        case Kind::div: return "Div";
        case Kind::pow: return "Pow";
        case Kind::constant: break;
    }
    // Python's repr of a float: the shortest round trip, with ".0" on whole numbers.
    char buffer[64];
    const auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
    std::string text(buffer, end);
    if (text.find_first_of(".en") == std::string::npos) text += ".0";
    return text;
}

std::optional<Primitive> parse_primitive(const std::string& text) {
    using Kind = Primitive::Kind;
    if (text == "Add") return Primitive{Kind::add};
    if (text == "Sub") return Primitive{Kind::sub};
    if (text == "Mul") return Primitive{Kind::mul};
    if (text == "Div") return Primitive{Kind::div};
    if (text == "Pow") return Primitive{Kind::pow};
    double value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) return std::nullopt;
    return Primitive{Kind::constant, value};
}

Genome::Genome(GenomeShape shape) : shape_(std::move(shape)) {
    if (shape_.primitives.empty()) throw std::invalid_argument("a genome needs at least one primitive");
    for (const Primitive& p : shape_.primitives) max_arity_ = std::max(max_arity_, p.arity());
    region_length_ = 1 + max_arity_;
    hidden_count_ = shape_.n_columns * shape_.n_rows;
    region_count_ = shape_.n_inputs + hidden_count_ + shape_.n_outputs;
}

std::vector<int> Genome::permissible_inputs(int region) const {
    std::vector<int> inputs;
    for (int j = 0; j < shape_.n_inputs; ++j) inputs.push_back(j);
    int lower = shape_.n_inputs, upper = shape_.n_inputs + hidden_count_;
    if (!is_output(region)) {
        const int column = (region - shape_.n_inputs) / shape_.n_rows;
        lower = shape_.n_inputs + shape_.n_rows * std::max(0, column - shape_.levels_back);
        upper = shape_.n_inputs + shape_.n_rows * column;
    }
    for (int j = lower; j < upper; ++j) inputs.push_back(j);
    return inputs;
}

Dna Genome::random(LegacyRandom& rng) const {
    Dna dna;
    dna.reserve(static_cast<std::size_t>(gene_count()));
    auto pick = [&](const std::vector<int>& from) { return from[static_cast<std::size_t>(rng.below(static_cast<int>(from.size())))]; };
    for (int i = 0; i < shape_.n_inputs; ++i) {
        dna.push_back(input_node_gene);
        dna.insert(dna.end(), static_cast<std::size_t>(max_arity_), non_coding_gene);
    }
    std::vector<int> inputs;
    for (int i = 0; i < hidden_count_; ++i) {
        if (i % shape_.n_rows == 0) inputs = permissible_inputs(i + shape_.n_inputs);
        const int function = sample_primitive(rng);
        dna.push_back(function);
        const int arity = shape_.primitives[static_cast<std::size_t>(function)].arity();
        for (int j = 0; j < arity; ++j) dna.push_back(pick(inputs));
        dna.insert(dna.end(), static_cast<std::size_t>(max_arity_ - arity), non_coding_gene);
    }
    inputs = permissible_inputs(shape_.n_inputs + hidden_count_);
    for (int i = 0; i < shape_.n_outputs; ++i) {
        dna.push_back(output_node_gene);
        dna.push_back(pick(inputs));
        dna.insert(dna.end(), static_cast<std::size_t>(max_arity_ - 1), non_coding_gene);
    }
    return dna;
}

bool Genome::mutate(Dna& dna, int n, LegacyRandom& rng) const {
    const std::vector<bool> active = active_regions(dna);
    auto pick = [&](const std::vector<int>& from) { return from[static_cast<std::size_t>(rng.below(static_cast<int>(from.size())))]; };
    bool only_silent = true;
    for (int successful = 0; successful < n;) {
        const int gene = rng.below(gene_count());
        const int region = gene / region_length_;
        const bool function_gene = gene % region_length_ == 0;
        const auto g = static_cast<std::size_t>(gene);
        bool success = false;
        if (is_input(region)) {
            continue;
        } else if (is_output(region)) {
            if (!function_gene && dna[g] != non_coding_gene) {
                dna[g] = pick(permissible_inputs(region));
                success = true;
            }
        } else if (function_gene) {
            // A new function (possibly the same one) with new inputs for its arity: always counts.
            dna[g] = sample_primitive(rng);
            const int arity = shape_.primitives[static_cast<std::size_t>(dna[g])].arity();
            const std::vector<int> inputs = permissible_inputs(region);
            for (int j = 1; j <= arity; ++j) dna[g + static_cast<std::size_t>(j)] = pick(inputs);
            for (int j = arity + 1; j <= max_arity_; ++j) dna[g + static_cast<std::size_t>(j)] = non_coding_gene;
            success = true;
        } else if (dna[g] != non_coding_gene) {
            dna[g] = pick(permissible_inputs(region));
            success = true;
        }
        if (success) {
            only_silent = only_silent && !active[static_cast<std::size_t>(region)];
            ++successful;
        }
    }
    return only_silent;
}

std::vector<bool> Genome::active_regions(const Dna& dna) const {
    std::vector<bool> active(static_cast<std::size_t>(region_count_), false);
    std::vector<int> to_visit;
    for (int i = 0; i < shape_.n_outputs; ++i) to_visit.push_back(shape_.n_inputs + hidden_count_ + i);
    while (!to_visit.empty()) {
        const int region = to_visit.back();
        to_visit.pop_back();
        if (active[static_cast<std::size_t>(region)]) continue;
        active[static_cast<std::size_t>(region)] = true;
        const std::size_t start = static_cast<std::size_t>(region * region_length_);
        const int arity = is_output(region) ? 1 : shape_.primitives[static_cast<std::size_t>(dna[start])].arity();
        for (int j = 1; j <= arity; ++j) {
            const int source = dna[start + static_cast<std::size_t>(j)];
            if (!is_input(source)) to_visit.push_back(source);
        }
    }
    return active;
}

std::string Genome::expression(const Dna& dna, int output) const {
    const std::function<std::string(int)> text = [&](int region) -> std::string {
        if (is_input(region)) return "x_" + std::to_string(region);
        const std::size_t start = static_cast<std::size_t>(region * region_length_);
        const Primitive& p = shape_.primitives[static_cast<std::size_t>(dna[start])];
        if (p.kind == Primitive::Kind::constant) return p.name();
        static constexpr const char* operators[] = {" + ", " - ", " * ", " / ", " ** "};
        return "(" + text(dna[start + 1]) + operators[static_cast<int>(p.kind)] + text(dna[start + 2]) + ")";
    };
    const int region = shape_.n_inputs + hidden_count_ + output;
    return text(dna[static_cast<std::size_t>(region * region_length_ + 1)]);
}

}  // namespace sr::evolution
