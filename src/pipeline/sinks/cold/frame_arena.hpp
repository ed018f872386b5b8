#pragma once
// Memory for one consumer thread's compressed cold-path frames while they wait for their
// batch to be written: a bump allocator over 2 MiB blocks with transparent huge pages
// asked for (madvise MADV_HUGEPAGE): a batch's frames are tens of MiB, and in 4 KiB pages
// every page faults when first touched. Blocks are kept across batches, so a worker in
// steady state touches no new memory for its frames.
#include <cstddef>
#include <string_view>
#include <vector>

namespace ebap::pipeline {

class FrameArena {
  public:
    static constexpr std::size_t kBlockBytes = std::size_t{2} << 20;

    FrameArena() = default;
    ~FrameArena();
    FrameArena(const FrameArena&) = delete;
    FrameArena& operator=(const FrameArena&) = delete;

    // Room for n bytes, contiguous (a new block when the current one has less left).
    // Throws std::bad_alloc when the memory cannot be mapped.
    char* reserve(std::size_t n);
    // Takes the first n bytes of the last reserve() (n <= what was reserved).
    std::string_view commit(std::size_t n);
    // Every view handed out is invalid from here on; the blocks stay for reuse.
    void reset();
    std::size_t block_bytes() const; // memory held, in use or not

  private:
    struct Block {
        char* data;
        std::size_t size;
    };
    std::vector<Block> blocks_;
    std::size_t current_ = 0; // block being filled (== blocks_.size(): none yet)
    std::size_t used_ = 0;    // bytes taken in it
    char* reserved_ = nullptr;
};

} // namespace ebap::pipeline
