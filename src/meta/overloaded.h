#pragma once
// Overloaded{lambdas...}: one visitor for std::visit out of several lambdas.

namespace shoal::meta {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};

}  // namespace shoal::meta
