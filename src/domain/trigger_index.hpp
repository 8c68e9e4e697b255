// Price triggers of every user, indexed per symbol by level: a tick finds the ones it fires
// without looking at the others.
//
// Costs, with n triggers on the ticked symbol and G the number of distinct trailing fractions
// in use on it:
//   tick that fires nothing and moves no trailing anchor   O(1): six comparisons
//   tick that fires k plain triggers                        O(k log n)
//   tick that fires k trailing stops                        O(k log n + G)
//   tick that moves trailing anchors (a new best price)     O(G log n) amortized, whatever
//                                                           the number of stops that follow
//   add / remove / update of a plain trigger                O(log n)
//   add / remove of a trailing stop                         O(log n + G)
// Memory: a plain trigger is a 16-byte heap entry and a 24-byte slot; with vector growth the
// benchmark measures 46 B per trigger at 1,000,000 (a std::multimap<level, key> node alone
// takes 64 B with malloc's header, before any map from key back to node).
//
// Trailing stops of one (symbol, side, fraction) share a group whose entries sit in buckets of
// equal anchor. A new best price merges every bucket it passes into one (the smaller buckets'
// entries are relabelled, so an entry is relabelled O(log n) times in its life), which is
// why a move costs per group, not per trailing stop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "domain/decimal.hpp"

namespace botcore::domain {

// Which way the price must cross a level for the trigger to fire.
enum class Crossing {
    // price >= level: short stop-loss and liquidation, long take-profit, buy stop, sell limit.
    kRising,
    // price <= level: long stop-loss and liquidation, short take-profit, sell stop, buy limit.
    kFalling,
};

using TriggerKey = std::uint64_t;  // opaque here; the caller maps it to a position or an order
using SymbolId = std::uint32_t;    // dense, below 65536: e.g. the symbol's place in the catalog

// Names one added trigger until it fires or is removed. A handle that outlived its trigger is
// recognised as stale (the slot's generation moved on), never confused with a newer trigger.
struct TriggerHandle {
    std::uint32_t slot = 0;
    std::uint32_t generation = 0;

    bool operator==(const TriggerHandle&) const = default;
};

struct FiredTrigger {
    TriggerKey key = 0;
    TriggerHandle handle;
    Decimal level;  // the level crossed; for a trailing stop, its level at that tick
    Crossing crossing = Crossing::kRising;
};

class TriggerIndex {
  public:
    // A trigger at a fixed level. It fires on the first tick of symbol at or beyond level.
    // std::out_of_range for a symbol id above 65535.
    TriggerHandle add(TriggerKey key, SymbolId symbol, Crossing crossing, Decimal level);

    // A trailing stop. kFalling protects a long: anchor is the highest price since it was set
    // and the level anchor * (1 - fraction), rounded down. kRising protects a short: anchor is
    // the lowest price and the level anchor * (1 + fraction), rounded up. The anchor only ever
    // moves in the position's favour. fraction: 0.02 for 2%; std::invalid_argument outside
    // [0, 1).
    TriggerHandle add_trailing(TriggerKey key, SymbolId symbol, Crossing crossing, Decimal anchor,
                               Decimal fraction);

    // False when the trigger already fired or was removed.
    bool remove(TriggerHandle handle);
    // Moves a plain trigger to a new level; false for a stale handle or a trailing stop.
    bool update(TriggerHandle handle, Decimal level);

    bool contains(TriggerHandle handle) const;
    // The level the trigger fires at now (a trailing stop's follows its anchor).
    std::optional<Decimal> level(TriggerHandle handle) const;
    std::optional<Decimal> anchor(TriggerHandle handle) const;  // trailing stops only
    std::size_t size() const { return size_; }

    // Removes every trigger of symbol that price reaches, appends them to fired and returns how
    // many; then moves the trailing anchors price improves. No order among the fired.
    std::size_t tick(SymbolId symbol, Decimal price, std::vector<FiredTrigger>& fired);
    std::vector<FiredTrigger> tick(SymbolId symbol, Decimal price);

  private:
    enum class Kind : std::uint8_t { kFree, kRising, kFalling, kTrailing };

    struct Slot {
        TriggerKey key = 0;
        std::uint32_t generation = 0;
        // Heap position (plain), trail node (trailing) or next free slot (free).
        std::uint32_t where = 0;
        std::uint16_t symbol = 0;
        Kind kind = Kind::kFree;
    };
    struct HeapEntry {
        std::int64_t level;
        std::uint32_t slot;
    };
    struct TrailGroup;
    struct TrailNode {
        std::uint32_t slot;
        std::uint32_t prev;
        std::uint32_t next;  // also the free list
        std::uint32_t bucket;
    };
    struct Bucket {
        std::int64_t anchor = 0;
        std::uint32_t head = 0;
        std::uint32_t tail = 0;
        std::uint32_t count = 0;  // also the free list while count == 0
        TrailGroup* group = nullptr;
    };
    struct TrailGroup {
        SymbolId symbol = 0;
        Crossing crossing = Crossing::kRising;
        std::int64_t fraction = 0;
        std::map<std::int64_t, std::uint32_t> buckets;  // anchor -> bucket
    };
    // All trailing stops of one side of a symbol; the two thresholds summarise its groups so
    // a quiet tick does not visit them.
    struct TrailSide {
        std::map<std::int64_t, TrailGroup> groups;  // fraction -> group
        std::int64_t fire_from = 0;  // a price at or beyond this fires a trailing stop
        std::int64_t move_from = 0;  // a price strictly beyond this moves an anchor
    };
    struct Book {
        std::vector<HeapEntry> rising;   // 4-ary min-heap: the lowest level first
        std::vector<HeapEntry> falling;  // 4-ary max-heap: the highest level first
        TrailSide trail_rising;          // short trailing stops
        TrailSide trail_falling;         // long trailing stops
        Book();
    };

    std::uint32_t allocate_slot(TriggerKey key, SymbolId symbol, Kind kind);
    void free_slot(std::uint32_t slot);
    const Slot* live(TriggerHandle handle) const;
    Book& book(SymbolId symbol);

    std::vector<HeapEntry>& heap_of(Book& book, Kind kind);
    void heap_push(std::vector<HeapEntry>& heap, bool min_first, HeapEntry entry);
    void heap_erase(std::vector<HeapEntry>& heap, bool min_first, std::size_t at);
    void sift_up(std::vector<HeapEntry>& heap, bool min_first, std::size_t at);
    void sift_down(std::vector<HeapEntry>& heap, bool min_first, std::size_t at);
    void place(std::vector<HeapEntry>& heap, std::size_t at, HeapEntry entry);

    TrailSide& trail_side(Book& book, Crossing crossing);
    static std::int64_t trail_level(const TrailGroup& group, std::int64_t anchor);
    static void refresh(TrailSide& side, Crossing crossing);
    std::uint32_t new_bucket(TrailGroup& group, std::int64_t anchor);
    void append(std::uint32_t bucket, std::uint32_t node);
    void unlink(std::uint32_t node);
    void fire_bucket(std::uint32_t bucket, std::vector<FiredTrigger>& fired);
    void move_anchors(TrailGroup& group, std::int64_t price);
    void tick_trailing(TrailSide& side, Crossing crossing, std::int64_t price,
                       std::vector<FiredTrigger>& fired);

    std::vector<Slot> slots_;
    std::uint32_t free_slot_ = kNil;
    std::vector<TrailNode> nodes_;
    std::uint32_t free_node_ = kNil;
    std::vector<Bucket> buckets_;
    std::uint32_t free_bucket_ = kNil;
    std::vector<Book> books_;
    std::size_t size_ = 0;

    static constexpr std::uint32_t kNil = 0xffff'ffff;
};

}  // namespace botcore::domain
