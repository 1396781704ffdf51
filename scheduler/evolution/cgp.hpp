#pragma once
// Cartesian genetic programming genomes as the 2019 `gp` package (hal-cgp at f6ea0f6) defines them:
// a flat list of genes, one region per node (function gene, then max_arity input genes), input
// regions first, then the hidden nodes column by column, then the outputs. Random genomes and
// mutations draw from LegacyRandom in that package's order, so a seed gives its genomes.
#include "scheduler/evolution/legacy_random.hpp"

#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace sr::evolution {

struct Primitive {
    enum class Kind { add, sub, mul, div, pow, constant };
    Kind kind = Kind::add;
    double value = 0;  // constants only

    int arity() const { return kind == Kind::constant ? 0 : 2; }
    std::string name() const;  // "Add", ..., or the constant as written by Python ("0.1", "10.0")
};

// Parses "Add", "Sub", "Mul", "Div", "Pow" or a number; nullopt otherwise.
std::optional<Primitive> parse_primitive(const std::string& text);

struct GenomeShape {
    int n_inputs = 1, n_outputs = 1, n_columns = 1, n_rows = 1;
    int levels_back = 1;  // columns back a hidden node may take inputs from
    std::vector<Primitive> primitives;
};

// Gene values: hidden function genes index `primitives`; these mark the other kinds.
inline constexpr int input_node_gene = -1;
inline constexpr int output_node_gene = -2;
inline constexpr int non_coding_gene = std::numeric_limits<int>::min();  // `None` in the reference

using Dna = std::vector<int>;

class Genome {
public:
    explicit Genome(GenomeShape shape);

    const GenomeShape& shape() const { return shape_; }
    int gene_count() const { return region_length_ * region_count_; }

    Dna random(LegacyRandom& rng) const;
    // `n` successful mutation events, each at a uniformly drawn gene (input regions and non-coding
    // genes are drawn again). Returns whether every event hit a region inactive before the mutation.
    bool mutate(Dna& dna, int n, LegacyRandom& rng) const;
    // Per region: whether it feeds an output (output regions always do; input regions never count).
    std::vector<bool> active_regions(const Dna& dna) const;
    // The graph of output `output` as the reference writes it before sympy sees it, with inputs as
    // x_0..x_n: "((x_0 * x_1) - 1.0)".
    std::string expression(const Dna& dna, int output) const;

private:
    bool is_input(int region) const { return region < shape_.n_inputs; }
    bool is_output(int region) const { return region >= shape_.n_inputs + hidden_count_; }
    std::vector<int> permissible_inputs(int region) const;
    int sample_primitive(LegacyRandom& rng) const { return rng.below(static_cast<int>(shape_.primitives.size())); }

    GenomeShape shape_;
    int max_arity_ = 1;
    int region_length_ = 2;
    int hidden_count_ = 0;
    int region_count_ = 0;
};

}  // namespace sr::evolution
