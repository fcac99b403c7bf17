// A main for the fuzz targets when they are built without libFuzzer (g++, the default build):
// it runs LLVMFuzzerTestOneInput over seed inputs, so every target's invariants are checked on
// every CI run. Arguments: files, directories (every file in them), or `--vectors FILE` for a
// conformance JSON array whose cases hold the bytes in "input" (or hex in "input_hex").
#include <simdjson.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

std::size_t runs = 0;

void run(const std::string& input)
{
    // A fresh heap copy of exactly the input's size, so ASan sees reads past the end.
    std::vector<std::uint8_t> copy(input.begin(), input.end());
    LLVMFuzzerTestOneInput(copy.data(), copy.size());
    ++runs;
}

std::string read(const std::filesystem::path& p)
{
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string from_hex(std::string_view hex)
{
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
    }
    return out;
}

bool run_vectors(const std::filesystem::path& p)
{
    simdjson::dom::parser parser;
    simdjson::dom::array cases;
    if (parser.load(p.string()).get_array().get(cases)) {
        std::fprintf(stderr, "replay: cannot read vectors %s\n", p.string().c_str());
        return false;
    }
    for (simdjson::dom::element c : cases) {
        std::string_view text;
        if (!c["input_hex"].get_string().get(text)) {
            run(from_hex(text));
        }
        else if (!c["input"].get_string().get(text)) {
            run(std::string(text));
        }
    }
    return true;
}

} // namespace

int main(int argc, char** argv)
{
    bool ok = true;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--vectors" && i + 1 < argc) {
            ok = run_vectors(argv[++i]) && ok;
        }
        else if (std::filesystem::is_directory(arg)) {
            for (const auto& e : std::filesystem::recursive_directory_iterator(arg)) {
                if (e.is_regular_file()) {
                    run(read(e.path()));
                }
            }
        }
        else if (std::filesystem::exists(arg)) {
            run(read(arg));
        }
        else {
            std::fprintf(stderr, "replay: skipped %s (not found)\n", arg.c_str());
        }
    }
    // Every prefix-truncation of nothing at all, and a few degenerate inputs.
    run("");
    run("\r\n");
    run(std::string(1, '\0'));
    std::printf("replayed %zu inputs\n", runs);
    return ok ? 0 : 1;
}
