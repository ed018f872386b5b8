#include "pipeline/sinks/cold/frame_arena.hpp"

#include <cstdint>
#include <new>
#include <sys/mman.h>
#include <utility>

namespace ebap::pipeline {
namespace {

constexpr std::size_t kHuge = FrameArena::kBlockBytes;

// size bytes at a 2 MiB boundary (huge pages need the alignment): map one huge page more
// than needed and give back the ends.
char* map_block(std::size_t size) {
    void* raw =
        ::mmap(nullptr, size + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) throw std::bad_alloc();
    const auto start = reinterpret_cast<std::uintptr_t>(raw);
    const std::uintptr_t aligned = (start + kHuge - 1) & ~(kHuge - 1);
    if (aligned > start) ::munmap(raw, aligned - start);
    const std::size_t tail = start + size + kHuge - (aligned + size);
    if (tail > 0) ::munmap(reinterpret_cast<void*>(aligned + size), tail);
    // Advice only: without THP (or with it off) these are ordinary pages.
    ::madvise(reinterpret_cast<void*>(aligned), size, MADV_HUGEPAGE);
    return reinterpret_cast<char*>(aligned);
}

} // namespace

FrameArena::~FrameArena() {
    for (const Block& b : blocks_)
        ::munmap(b.data, b.size);
}

char* FrameArena::reserve(std::size_t n) {
    while (current_ < blocks_.size() && blocks_[current_].size - used_ < n) {
        ++current_; // a kept block from an earlier batch, or the end
        used_ = 0;
    }
    if (current_ == blocks_.size()) {
        const std::size_t size = (n + kHuge - 1) / kHuge * kHuge;
        blocks_.push_back({map_block(size), size});
        used_ = 0;
    }
    reserved_ = blocks_[current_].data + used_;
    return reserved_;
}

std::string_view FrameArena::commit(std::size_t n) {
    used_ += n;
    return {std::exchange(reserved_, nullptr), n};
}

void FrameArena::reset() {
    current_ = 0;
    used_ = 0;
    reserved_ = nullptr;
}

std::size_t FrameArena::block_bytes() const {
    std::size_t total = 0;
    for (const Block& b : blocks_)
        total += b.size;
    return total;
}

} // namespace ebap::pipeline
