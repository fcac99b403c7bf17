// Access to ../shared/conformance (third-party test data that stays outside the repository).
#ifndef LLMIO_TESTS_SUPPORT_CONFORMANCE_HPP
#define LLMIO_TESTS_SUPPORT_CONFORMANCE_HPP

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

namespace llmio_test {

/// The conformance folder: $LLMIO_CONFORMANCE_DIR when set, else the path Meson configured.
inline std::filesystem::path conformance_dir()
{
    if (const char* env = std::getenv("LLMIO_CONFORMANCE_DIR"); env && *env) {
        return env;
    }
#ifdef LLMIO_CONFORMANCE_DIR
    return LLMIO_CONFORMANCE_DIR;
#else
    return "../shared/conformance";
#endif
}

/// The whole file, or nothing when it does not exist. Tests WARN and return on nothing, so a
/// machine without ../shared/ says clearly what it skipped instead of failing obscurely.
inline std::optional<std::string> read_file(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline std::optional<std::string> read_conformance(const std::string& relative)
{
    return read_file(conformance_dir() / relative);
}

/// Every way to cut `size` bytes into reads that the grind tests use: whole, split once at
/// every offset, and one byte at a time. Each plan is a list of cut offsets.
inline std::vector<std::vector<std::size_t>> split_plans(std::size_t size)
{
    std::vector<std::vector<std::size_t>> plans;
    plans.push_back({});
    for (std::size_t at = 1; at < size; ++at) {
        plans.push_back({at});
    }
    std::vector<std::size_t> bytewise;
    for (std::size_t at = 1; at < size; ++at) {
        bytewise.push_back(at);
    }
    if (!bytewise.empty()) {
        plans.push_back(std::move(bytewise));
    }
    return plans;
}

/// Cuts `input` at `cuts` (sorted offsets) into pieces.
inline std::vector<std::string> cut(const std::string& input, const std::vector<std::size_t>& cuts)
{
    std::vector<std::string> pieces;
    std::size_t from = 0;
    for (std::size_t at : cuts) {
        pieces.push_back(input.substr(from, at - from));
        from = at;
    }
    pieces.push_back(input.substr(from));
    return pieces;
}

} // namespace llmio_test

#endif
