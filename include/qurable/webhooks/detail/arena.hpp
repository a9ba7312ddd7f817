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
    scratch_size_ = 0;
  }

  // The scratch stack: items of an array being read, pushed once each item is complete. A plain buffer, not a
  // std::vector: a push is a bounds check and a copy, with no call (vector::insert was one per item).
  std::size_t scratch_mark() const noexcept { return scratch_size_; }
  void scratch_reset(std::size_t mark) noexcept { scratch_size_ = mark; }
  // False when out of memory.
  template <class T>
  bool scratch_push(const T& item) noexcept {
    static_assert(std::is_trivially_copyable_v<T>, "decoded list items are views: trivially copyable");
    if (scratch_capacity_ - scratch_size_ < sizeof(T) && !grow_scratch(sizeof(T))) return false;
    std::memcpy(scratch_.get() + scratch_size_, &item, sizeof(T));
    scratch_size_ += sizeof(T);
    return true;
  }

  // Moves the items pushed since `mark` into stable storage; nullptr when out of memory (or no items).
  template <class T>
  const T* scratch_commit(std::size_t mark, std::size_t count) {
    const std::size_t bytes = count * sizeof(T);
    T* out = nullptr;
    if (count != 0) {
      out = static_cast<T*>(allocate(bytes, alignof(T)));
      if (out != nullptr) std::memcpy(static_cast<void*>(out), scratch_.get() + mark, bytes);
    }
    scratch_size_ = mark;
    return out;
  }

 private:
  struct block {
    std::unique_ptr<unsigned char[]> data;
    std::size_t size = 0;
  };

  bool grow_scratch(std::size_t more) noexcept {
    const std::size_t needed = scratch_size_ + more;
    const std::size_t doubled = 2 * scratch_capacity_;
    const std::size_t size = needed > doubled ? (needed < 1024 ? 1024 : needed) : doubled;
    std::unique_ptr<unsigned char[]> grown(new (std::nothrow) unsigned char[size]);
    if (!grown) return false;
    if (scratch_size_ != 0) std::memcpy(grown.get(), scratch_.get(), scratch_size_);
    scratch_ = std::move(grown);
    scratch_capacity_ = size;
    return true;
  }

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
  std::unique_ptr<unsigned char[]> scratch_;
  std::size_t scratch_size_ = 0;
  std::size_t scratch_capacity_ = 0;
};

}  // namespace qurable::webhooks::detail
