#include "domain/trigger_index.hpp"

#include <algorithm>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace botcore::domain {

namespace {

constexpr std::int64_t kLowest = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kHighest = std::numeric_limits<std::int64_t>::max();
constexpr std::size_t kArity = 4;  // shallower than binary; a node's children share a line

}  // namespace

TriggerIndex::Book::Book() {
    // Buckets point at their group inside a map node: growing books_ must move, never copy.
    static_assert(std::is_nothrow_move_constructible_v<Book>);
    refresh(trail_rising, Crossing::kRising);
    refresh(trail_falling, Crossing::kFalling);
}

TriggerHandle TriggerIndex::add(TriggerKey key, SymbolId symbol, Crossing crossing, Decimal level) {
    const Kind kind = crossing == Crossing::kRising ? Kind::kRising : Kind::kFalling;
    const std::uint32_t slot = allocate_slot(key, symbol, kind);
    auto& heap = heap_of(book(symbol), kind);
    heap_push(heap, kind == Kind::kRising, HeapEntry{level.units(), slot});
    return {slot, slots_[slot].generation};
}

TriggerHandle TriggerIndex::add_trailing(TriggerKey key, SymbolId symbol, Crossing crossing,
                                         Decimal anchor, Decimal fraction) {
    if (fraction < Decimal{} || fraction >= Decimal::from_integer(1)) {
        throw std::invalid_argument("trailing fraction outside [0, 1)");
    }
    const std::uint32_t slot = allocate_slot(key, symbol, Kind::kTrailing);
    TrailSide& side = trail_side(book(symbol), crossing);
    auto [found, created] = side.groups.try_emplace(fraction.units());
    TrailGroup& group = found->second;
    if (created) {
        group.symbol = symbol;
        group.crossing = crossing;
        group.fraction = fraction.units();
    }
    std::uint32_t bucket;
    if (const auto it = group.buckets.find(anchor.units()); it != group.buckets.end()) {
        bucket = it->second;
    } else {
        bucket = new_bucket(group, anchor.units());
    }
    std::uint32_t node;
    if (free_node_ != kNil) {
        node = free_node_;
        free_node_ = nodes_[node].next;
    } else {
        node = static_cast<std::uint32_t>(nodes_.size());
        nodes_.emplace_back();
    }
    nodes_[node].slot = slot;
    slots_[slot].where = node;
    append(bucket, node);
    refresh(side, crossing);
    return {slot, slots_[slot].generation};
}

bool TriggerIndex::remove(TriggerHandle handle) {
    const Slot* slot = live(handle);
    if (slot == nullptr) {
        return false;
    }
    if (slot->kind == Kind::kTrailing) {
        const std::uint32_t node = slot->where;
        TrailGroup& group = *buckets_[nodes_[node].bucket].group;
        unlink(node);
        nodes_[node].next = free_node_;
        free_node_ = node;
        const Crossing crossing = group.crossing;
        const std::int64_t fraction = group.fraction;
        TrailSide& side = trail_side(book(group.symbol), crossing);
        if (group.buckets.empty()) {
            side.groups.erase(fraction);
        }
        refresh(side, crossing);
    } else {
        auto& heap = heap_of(book(slot->symbol), slot->kind);
        heap_erase(heap, slot->kind == Kind::kRising, slot->where);
    }
    free_slot(handle.slot);
    return true;
}

bool TriggerIndex::update(TriggerHandle handle, Decimal level) {
    const Slot* slot = live(handle);
    if (slot == nullptr || slot->kind == Kind::kTrailing) {
        return false;
    }
    auto& heap = heap_of(book(slot->symbol), slot->kind);
    const bool min_first = slot->kind == Kind::kRising;
    const std::size_t at = slot->where;
    const std::int64_t old = heap[at].level;
    heap[at].level = level.units();
    if ((level.units() < old) == min_first) {
        sift_up(heap, min_first, at);
    } else {
        sift_down(heap, min_first, at);
    }
    return true;
}

bool TriggerIndex::contains(TriggerHandle handle) const {
    return live(handle) != nullptr;
}

std::optional<Decimal> TriggerIndex::level(TriggerHandle handle) const {
    const Slot* slot = live(handle);
    if (slot == nullptr) {
        return std::nullopt;
    }
    if (slot->kind == Kind::kTrailing) {
        const Bucket& bucket = buckets_[nodes_[slot->where].bucket];
        return Decimal::from_units(trail_level(*bucket.group, bucket.anchor));
    }
    const Book& b = books_[slot->symbol];
    const auto& heap = slot->kind == Kind::kRising ? b.rising : b.falling;
    return Decimal::from_units(heap[slot->where].level);
}

std::optional<Decimal> TriggerIndex::anchor(TriggerHandle handle) const {
    const Slot* slot = live(handle);
    if (slot == nullptr || slot->kind != Kind::kTrailing) {
        return std::nullopt;
    }
    return Decimal::from_units(buckets_[nodes_[slot->where].bucket].anchor);
}

std::size_t TriggerIndex::tick(SymbolId symbol, Decimal price, std::vector<FiredTrigger>& fired) {
    if (symbol >= books_.size()) {
        return 0;
    }
    Book& b = books_[symbol];
    const std::size_t before = fired.size();
    const std::int64_t p = price.units();
    while (!b.rising.empty() && b.rising.front().level <= p) {
        const HeapEntry top = b.rising.front();
        fired.push_back({slots_[top.slot].key,
                         {top.slot, slots_[top.slot].generation},
                         Decimal::from_units(top.level),
                         Crossing::kRising});
        heap_erase(b.rising, true, 0);
        free_slot(top.slot);
    }
    while (!b.falling.empty() && b.falling.front().level >= p) {
        const HeapEntry top = b.falling.front();
        fired.push_back({slots_[top.slot].key,
                         {top.slot, slots_[top.slot].generation},
                         Decimal::from_units(top.level),
                         Crossing::kFalling});
        heap_erase(b.falling, false, 0);
        free_slot(top.slot);
    }
    if (p >= b.trail_rising.fire_from || p < b.trail_rising.move_from) {
        tick_trailing(b.trail_rising, Crossing::kRising, p, fired);
    }
    if (p <= b.trail_falling.fire_from || p > b.trail_falling.move_from) {
        tick_trailing(b.trail_falling, Crossing::kFalling, p, fired);
    }
    return fired.size() - before;
}

std::vector<FiredTrigger> TriggerIndex::tick(SymbolId symbol, Decimal price) {
    std::vector<FiredTrigger> fired;
    tick(symbol, price, fired);
    return fired;
}

std::uint32_t TriggerIndex::allocate_slot(TriggerKey key, SymbolId symbol, Kind kind) {
    if (symbol > std::numeric_limits<std::uint16_t>::max()) {
        throw std::out_of_range("symbol id above 65535");
    }
    std::uint32_t slot;
    if (free_slot_ != kNil) {
        slot = free_slot_;
        free_slot_ = slots_[slot].where;
    } else {
        slot = static_cast<std::uint32_t>(slots_.size());
        slots_.emplace_back();
    }
    Slot& s = slots_[slot];
    s.key = key;
    s.symbol = static_cast<std::uint16_t>(symbol);
    s.kind = kind;
    ++size_;
    return slot;
}

void TriggerIndex::free_slot(std::uint32_t slot) {
    Slot& s = slots_[slot];
    s.kind = Kind::kFree;
    ++s.generation;
    s.where = free_slot_;
    free_slot_ = slot;
    --size_;
}

const TriggerIndex::Slot* TriggerIndex::live(TriggerHandle handle) const {
    if (handle.slot >= slots_.size()) {
        return nullptr;
    }
    const Slot& s = slots_[handle.slot];
    if (s.kind == Kind::kFree || s.generation != handle.generation) {
        return nullptr;
    }
    return &s;
}

TriggerIndex::Book& TriggerIndex::book(SymbolId symbol) {
    if (symbol >= books_.size()) {
        books_.resize(symbol + 1);
    }
    return books_[symbol];
}

std::vector<TriggerIndex::HeapEntry>& TriggerIndex::heap_of(Book& b, Kind kind) {
    return kind == Kind::kRising ? b.rising : b.falling;
}

void TriggerIndex::place(std::vector<HeapEntry>& heap, std::size_t at, HeapEntry entry) {
    heap[at] = entry;
    slots_[entry.slot].where = static_cast<std::uint32_t>(at);
}

void TriggerIndex::heap_push(std::vector<HeapEntry>& heap, bool min_first, HeapEntry entry) {
    heap.push_back(entry);
    slots_[entry.slot].where = static_cast<std::uint32_t>(heap.size() - 1);
    sift_up(heap, min_first, heap.size() - 1);
}

void TriggerIndex::heap_erase(std::vector<HeapEntry>& heap, bool min_first, std::size_t at) {
    const HeapEntry last = heap.back();
    heap.pop_back();
    if (at == heap.size()) {
        return;
    }
    const std::int64_t removed = heap[at].level;
    place(heap, at, last);
    if ((last.level < removed) == min_first && last.level != removed) {
        sift_up(heap, min_first, at);
    } else {
        sift_down(heap, min_first, at);
    }
}

void TriggerIndex::sift_up(std::vector<HeapEntry>& heap, bool min_first, std::size_t at) {
    const HeapEntry entry = heap[at];
    while (at > 0) {
        const std::size_t parent = (at - 1) / kArity;
        const bool before =
            min_first ? entry.level < heap[parent].level : entry.level > heap[parent].level;
        if (!before) {
            break;
        }
        place(heap, at, heap[parent]);
        at = parent;
    }
    place(heap, at, entry);
}

void TriggerIndex::sift_down(std::vector<HeapEntry>& heap, bool min_first, std::size_t at) {
    const HeapEntry entry = heap[at];
    const std::size_t n = heap.size();
    for (;;) {
        const std::size_t first = at * kArity + 1;
        if (first >= n) {
            break;
        }
        std::size_t best = first;
        const std::size_t end = first + kArity < n ? first + kArity : n;
        for (std::size_t c = first + 1; c < end; ++c) {
            if (min_first ? heap[c].level < heap[best].level : heap[c].level > heap[best].level) {
                best = c;
            }
        }
        const bool child_first =
            min_first ? heap[best].level < entry.level : heap[best].level > entry.level;
        if (!child_first) {
            break;
        }
        place(heap, at, heap[best]);
        at = best;
    }
    place(heap, at, entry);
}

TriggerIndex::TrailSide& TriggerIndex::trail_side(Book& b, Crossing crossing) {
    return crossing == Crossing::kRising ? b.trail_rising : b.trail_falling;
}

std::int64_t TriggerIndex::trail_level(const TrailGroup& group, std::int64_t anchor) {
    // Rounded away from the anchor: the stop never sits closer than the fraction asked for.
    // 128 bits: a price in units times a fraction in units overflows 64.
    const __int128 one = Decimal::kOne;
    if (group.crossing == Crossing::kFalling) {
        return static_cast<std::int64_t>(__int128{anchor} * (one - group.fraction) / one);
    }
    return static_cast<std::int64_t>((__int128{anchor} * (one + group.fraction) + one - 1) / one);
}

// Long stops (kFalling) fire at or below the highest level, from the largest anchor, and move
// when the price passes the smallest anchor; shorts mirror it.
void TriggerIndex::refresh(TrailSide& side, Crossing crossing) {
    if (crossing == Crossing::kFalling) {
        side.fire_from = kLowest;
        side.move_from = kHighest;
        for (const auto& [fraction, group] : side.groups) {
            side.fire_from =
                std::max(side.fire_from, trail_level(group, group.buckets.rbegin()->first));
            side.move_from = std::min(side.move_from, group.buckets.begin()->first);
        }
    } else {
        side.fire_from = kHighest;
        side.move_from = kLowest;
        for (const auto& [fraction, group] : side.groups) {
            side.fire_from =
                std::min(side.fire_from, trail_level(group, group.buckets.begin()->first));
            side.move_from = std::max(side.move_from, group.buckets.rbegin()->first);
        }
    }
}

std::uint32_t TriggerIndex::new_bucket(TrailGroup& group, std::int64_t anchor) {
    std::uint32_t bucket;
    if (free_bucket_ != kNil) {
        bucket = free_bucket_;
        free_bucket_ = buckets_[bucket].head;
    } else {
        bucket = static_cast<std::uint32_t>(buckets_.size());
        buckets_.emplace_back();
    }
    buckets_[bucket] = Bucket{anchor, kNil, kNil, 0, &group};
    group.buckets.emplace(anchor, bucket);
    return bucket;
}

void TriggerIndex::append(std::uint32_t bucket, std::uint32_t node) {
    Bucket& b = buckets_[bucket];
    TrailNode& n = nodes_[node];
    n.bucket = bucket;
    n.prev = b.tail;
    n.next = kNil;
    if (b.tail == kNil) {
        b.head = node;
    } else {
        nodes_[b.tail].next = node;
    }
    b.tail = node;
    ++b.count;
}

// Takes node out of its bucket, and the bucket out of its group when it empties.
void TriggerIndex::unlink(std::uint32_t node) {
    const TrailNode& n = nodes_[node];
    Bucket& b = buckets_[n.bucket];
    (n.prev == kNil ? b.head : nodes_[n.prev].next) = n.next;
    (n.next == kNil ? b.tail : nodes_[n.next].prev) = n.prev;
    if (--b.count == 0) {
        b.group->buckets.erase(b.anchor);
        b.head = free_bucket_;
        free_bucket_ = n.bucket;
    }
}

void TriggerIndex::fire_bucket(std::uint32_t bucket, std::vector<FiredTrigger>& fired) {
    Bucket& b = buckets_[bucket];
    const Decimal level = Decimal::from_units(trail_level(*b.group, b.anchor));
    for (std::uint32_t node = b.head; node != kNil;) {
        const std::uint32_t next = nodes_[node].next;
        const std::uint32_t slot = nodes_[node].slot;
        fired.push_back(
            {slots_[slot].key, {slot, slots_[slot].generation}, level, b.group->crossing});
        free_slot(slot);
        nodes_[node].next = free_node_;
        free_node_ = node;
        node = next;
    }
    b.group->buckets.erase(b.anchor);
    b.count = 0;
    b.head = free_bucket_;
    free_bucket_ = bucket;
}

// Every bucket the price passed gets the price as anchor: they merge into the largest of them,
// so an entry changes bucket only when its bucket at least doubles.
void TriggerIndex::move_anchors(TrailGroup& group, std::int64_t price) {
    auto first = group.buckets.begin();
    auto last = group.buckets.end();
    if (group.crossing == Crossing::kFalling) {
        last = group.buckets.upper_bound(price);
    } else {
        first = group.buckets.lower_bound(price);
    }
    if (first == last) {
        return;
    }
    std::uint32_t keep = first->second;
    for (auto it = first; it != last; ++it) {
        if (buckets_[it->second].count > buckets_[keep].count) {
            keep = it->second;
        }
    }
    for (auto it = first; it != last; ++it) {
        const std::uint32_t from = it->second;
        if (from == keep) {
            continue;
        }
        Bucket& src = buckets_[from];
        for (std::uint32_t node = src.head; node != kNil; node = nodes_[node].next) {
            nodes_[node].bucket = keep;
        }
        Bucket& dst = buckets_[keep];
        nodes_[dst.tail].next = src.head;
        nodes_[src.head].prev = dst.tail;
        dst.tail = src.tail;
        dst.count += src.count;
        src.count = 0;
        src.head = free_bucket_;
        free_bucket_ = from;
    }
    group.buckets.erase(first, last);
    buckets_[keep].anchor = price;
    group.buckets.emplace(price, keep);
}

void TriggerIndex::tick_trailing(TrailSide& side, Crossing crossing, std::int64_t price,
                                 std::vector<FiredTrigger>& fired) {
    const bool falling = crossing == Crossing::kFalling;
    for (auto it = side.groups.begin(); it != side.groups.end();) {
        TrailGroup& group = it->second;
        // A price that fires a bucket cannot also move it: firing needs the anchor beyond the
        // price, moving needs it behind.
        while (!group.buckets.empty()) {
            const auto edge = falling ? std::prev(group.buckets.end()) : group.buckets.begin();
            const std::int64_t level = trail_level(group, edge->first);
            if (falling ? level < price : level > price) {
                break;
            }
            fire_bucket(edge->second, fired);
        }
        if (group.buckets.empty()) {
            it = side.groups.erase(it);
            continue;
        }
        move_anchors(group, price);
        ++it;
    }
    refresh(side, crossing);
}

}  // namespace botcore::domain
