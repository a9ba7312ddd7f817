#pragma once
// Where decoded lists live. A list's length is known only once its array has been read (On-Demand is
// forward-only), so items are decoded onto a scratch stack, then copied into stable blocks at the array's end:
// a view handed out earlier never moves, lists of one item type can be nested or repeated (profile.emails in
// executionResults and in payload), and the blocks are kept between events, so a warm parser allocates nothing.

#include <cstddef>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>
#include <vector>

namespace qurable::webhooks::detail {

class arena {
 public:
  void clear() noexcept {
    block_ = 0;
    used_ = 0;
    scratch_.clear();
  }

  // The scratch stack: items of an array being read, pushed once each item is complete.
  std::size_t scratch_mark() const noexcept { return scratch_.size(); }
  void scratch_reset(std::size_t mark) noexcept { scratch_.resize(mark); }
  template <class T>
  void scratch_push(const T& item) {
    static_assert(std::is_trivially_copyable_v<T>, "decoded list items are views: trivially copyable");
    const auto* bytes = reinterpret_cast<const unsigned char*>(&item);
    scratch_.insert(scratch_.end(), bytes, bytes + sizeof(T));
  }

  // Moves the items pushed since `mark` into stable storage; nullptr when out of memory (or no items).
  template <class T>
  const T* scratch_commit(std::size_t mark, std::size_t count) {
    const std::size_t bytes = count * sizeof(T);
    T* out = nullptr;
    if (count != 0) {
      out = static_cast<T*>(allocate(bytes, alignof(T)));
      if (out != nullptr) std::memcpy(static_cast<void*>(out), scratch_.data() + mark, bytes);
    }
    scratch_.resize(mark);
    return out;
  }

 private:
  struct block {
    std::unique_ptr<unsigned char[]> data;
    std::size_t size = 0;
  };

  void* allocate(std::size_t bytes, std::size_t align) {
    while (block_ < blocks_.size()) {
      const std::size_t start = (used_ + align - 1) / align * align;
      if (start + bytes <= blocks_[block_].size) {
        used_ = start + bytes;
        return blocks_[block_].data.get() + start;
      }
      ++block_;
      used_ = 0;
    }
    const std::size_t last = blocks_.empty() ? 0 : blocks_.back().size;
    const std::size_t wanted = bytes + align > 2 * last ? bytes + align : 2 * last;
    const std::size_t size = wanted < 4096 ? 4096 : wanted;
    block b;
    b.data.reset(new (std::nothrow) unsigned char[size]);
    if (!b.data) return nullptr;
    b.size = size;
    blocks_.push_back(std::move(b));
    block_ = blocks_.size() - 1;
    used_ = 0;
    return allocate(bytes, align);
  }

  std::vector<block> blocks_;
  std::size_t block_ = 0;  // the block being filled
  std::size_t used_ = 0;   // bytes used in it
  std::vector<unsigned char> scratch_;
};

}  // namespace qurable::webhooks::detail
