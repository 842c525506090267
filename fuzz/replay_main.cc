// Replays saved fuzz inputs through the fuzz target without libFuzzer, with any compiler: the
// regression inputs (fuzz/regressions/), the seeds, the examples and the lint cases. Each
// argument is a file or a directory (walked recursively, in name order; README and *.md files
// skipped). A finding aborts inside the target; a clean run prints how many inputs it replayed.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

bool Replayable(const std::filesystem::path& path) {
  std::string name = path.filename().string();
  return std::filesystem::is_regular_file(path) && !name.starts_with("README") &&
         path.extension() != ".md";
}

void Collect(const std::filesystem::path& path, std::vector<std::filesystem::path>& out) {
  if (std::filesystem::is_directory(path)) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(path)) {
      if (Replayable(entry.path())) out.push_back(entry.path());
    }
  } else if (Replayable(path)) {
    out.push_back(path);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::filesystem::path> inputs;
  for (int i = 1; i < argc; ++i) {
    if (!std::filesystem::exists(argv[i])) {
      std::fprintf(stderr, "fuzz_replay: %s does not exist\n", argv[i]);
      return 2;
    }
    Collect(argv[i], inputs);
  }
  std::sort(inputs.begin(), inputs.end());
  for (const auto& path : inputs) {
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::fprintf(stderr, "fuzz_replay: %s\n", path.c_str());
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  }
  std::printf("fuzz_replay: %zu inputs replayed, no finding\n", inputs.size());
  return inputs.empty() ? 1 : 0;
}
