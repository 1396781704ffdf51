#pragma once
// Shared value types of the ssn model. Matrices are row-major so they map one-to-one onto the
// payload arrays and the nested-list parameters ([i][j] = post neuron i, pre neuron j).
#include <Eigen/Dense>

#include <cstdint>
#include <vector>

namespace sr::ssn {

using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vector = Eigen::VectorXd;

// A network state as an integer: neuron 0 is the most significant of `dim` bits (the reference's
// state ordering, so distributions index the same way).
inline int state_bit(int neuron, int dim) { return dim - 1 - neuron; }

}  // namespace sr::ssn
