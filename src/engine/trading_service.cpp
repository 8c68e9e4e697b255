#include "engine/trading_service.hpp"

#include <algorithm>
#include <atomic>
#include <future>
#include <mutex>
#include <set>

#include "domain/decimal_math.hpp"
#include "domain/margin.hpp"
#include "ports/ids.hpp"
#include "ports/store.hpp"

namespace botcore::engine {

namespace {

using domain::Decimal;

// The level that any price reaches (rising, at the smallest price).
constexpr Decimal kAnyPrice = Decimal::from_units(1);

// A command is run again this often when other instances keep changing its book first.
constexpr int kMaxAttempts = 16;

// A book taken over is evaluated at prices received at most this long ago.
constexpr std::int64_t kTakeOverPriceAgeMs = 10'000;

bool is_conflict(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const ports::WriteConflict&) {
        return true;
    } catch (...) {
        return false;
    }
}

TradingError unavailable(std::string message) {
    return TradingError{TradingErrorKind::kUnavailable, {}, std::move(message)};
}

TradingError rejected(domain::OrderError error) {
    const auto kind = error.code == domain::OrderErrorCode::kNoPosition
                          ? TradingErrorKind::kNotFound
                          : TradingErrorKind::kRejected;
    auto message = error.message;
    return TradingError{kind, std::move(error), std::move(message)};
}

template <class T>
void append_all(std::vector<T>& into, std::vector<T>&& from) {
    std::move(from.begin(), from.end(), std::back_inserter(into));
}

void append(domain::Changes& into, domain::Changes&& from) {
    append_all(into.orders, std::move(from.orders));
    append_all(into.created_orders, std::move(from.created_orders));
    append_all(into.fills, std::move(from.fills));
    append_all(into.positions, std::move(from.positions));
    append_all(into.closed_positions, std::move(from.closed_positions));
    append_all(into.trades, std::move(from.trades));
    append_all(into.funding, std::move(from.funding));
    into.account_changed = into.account_changed || from.account_changed;
}

// A commit whose end was not confirmed (the connection broke at COMMIT, the WAL flush failed)
// may still have taken effect: the answer must not say that nothing was done.
const TradingError kCommitFailed = unavailable(
    "the change could not be confirmed as stored and may or may not have taken effect; "
    "retry with the same client_order_id, or read the orders first");

// The continuation of a command: its answer, sent once its changes are committed.
template <class T>
std::function<void(std::exception_ptr)> answer_after_commit(Reply<T> reply, T value) {
    return [reply = std::move(reply), value = std::move(value)](std::exception_ptr error) {
        error ? reply(std::unexpected(kCommitFailed)) : reply(value);
    };
}

}  // namespace

// A user's book. `portfolio` is the working copy, touched only by the command that holds
// `busy`; `committed` is what the last successful commit left, and what reads see.
struct TradingService::Book {
    explicit Book(std::string id) : user_id(std::move(id)) {}
    const std::string user_id;
    std::mutex mutex;  // guards busy, waiting, committed
    bool busy = false;
    std::deque<Step> waiting;
    std::optional<domain::Portfolio> portfolio;
    std::optional<domain::PortfolioState> committed;
    // The store's revision of the book the working copy is based on (touched only by the
    // command running, like portfolio).
    std::int64_t revision = 0;
    // Another instance changed the book: reload before the next command, and reads go to the
    // store until then.
    bool stale = false;
    std::int64_t reload_after_ms = 0;  // a read of the book failed: prices wait until then
};

TradingService::TradingService(ports::TradingStore& store, market::PriceBook& prices,
                               const ports::Clock& clock, TradingSettings settings)
    : store_(store), prices_(prices), clock_(clock), settings_(std::move(settings)) {}

std::shared_ptr<TradingService::Book> TradingService::book(const std::string& user_id) {
    {
        std::shared_lock lock(books_mutex_);
        if (const auto it = books_.find(user_id); it != books_.end()) {
            return it->second;
        }
    }
    std::unique_lock lock(books_mutex_);
    auto& slot = books_[user_id];
    if (!slot) {
        slot = std::make_shared<Book>(user_id);
    }
    return slot;
}

void TradingService::run(const std::shared_ptr<Book>& book, Step step) {
    {
        std::lock_guard lock(book->mutex);
        if (book->busy) {
            book->waiting.push_back(std::move(step));
            return;
        }
        book->busy = true;
    }
    drive(book, std::move(step));
}

// Runs steps of one book until one of them has a write in flight (its commit callback then
// continues) or none is left.
void TradingService::drive(const std::shared_ptr<Book>& book, Step step, int attempt) {
    while (step) {
        Outcome outcome;
        try {
            TradingError load_error;
            bool fresh = false;
            auto* portfolio = load(book, load_error, fresh);
            outcome = step(portfolio, load_error);
            if (outcome.answered_unchanged && !fresh && attempt + 1 < kMaxAttempts &&
                moved_elsewhere(*book)) {
                ++attempt;  // decided on a stale copy: decided again, unanswered so far
                continue;
            }
        } catch (...) {
            // A broken invariant inside a command: forget the working copy, the store is the
            // truth. The command's responder answers 500 when it is dropped (a store failure
            // inside a command was answered already, see command()).
            settle(book, std::current_exception());
            step = take_next(book);
            continue;
        }
        if (!outcome.changes.empty()) {
            auto events = events_of(book->user_id, outcome.changes);
            ports::TradingWrite write{book->portfolio->account(), std::move(outcome.changes),
                                      book->revision};
            store_.commit(std::move(write),
                          [this, book, after = std::move(outcome.after), events = std::move(events),
                           retry = step, attempt](std::exception_ptr error) mutable {
                              // Reads must see the change before its author is answered.
                              settle(book, error);
                              if (error && attempt + 1 < kMaxAttempts && is_conflict(error)) {
                                  // Another instance changed the book first: the command runs
                                  // again on the book as it is now, and is answered then.
                                  drive(book, std::move(retry), attempt + 1);
                                  return;
                              }
                              if (after) {
                                  after(error);
                              }
                              if (events && !error) {
                                  publish_events(book, std::move(*events));
                              }
                              if (auto next = take_next(book)) {
                                  drive(book, std::move(next));
                              }
                          });
            return;
        }
        if (outcome.after) {
            outcome.after(nullptr);
        }
        step = take_next(book);
    }
}

std::optional<UserEvents> TradingService::events_of(const std::string& user_id,
                                                    const domain::Changes& changes) const {
    if (!events_.wants || !events_.wants(user_id)) {
        return std::nullopt;
    }
    UserEvents events;
    events.user_id = user_id;
    events.orders = changes.orders;
    events.trades = changes.trades;
    for (const auto& position : changes.positions) {
        events.positions.push_back(position_view(position));
    }
    events.closed_positions = changes.closed_positions;
    return events;
}

void TradingService::publish_events(const std::shared_ptr<Book>& book, UserEvents events) {
    std::optional<domain::PortfolioState> state;
    {
        std::lock_guard lock(book->mutex);
        state = book->committed;
    }
    if (state) {
        if (auto view = domain::account_view(*state, prices_.marks())) {
            events.account = std::move(*view);
        }
    }
    events.ts_ms = clock_.now_ms();
    events_.publish(std::move(events));
}

void TradingService::settle(const std::shared_ptr<Book>& book, std::exception_ptr error) {
    {
        std::lock_guard lock(book->mutex);
        if (!error) {
            if (book->portfolio) {
                ++book->revision;
                book->committed = book->portfolio->state();
                book->committed->revision = book->revision;
            }
            return;
        }
        book->portfolio.reset();  // reloaded from the store by the next command
    }
    // The levels registered for the discarded change are not the store's.
    watch_until_reloaded(book->user_id);
}

void TradingService::refresh(const std::string& user_id) {
    std::vector<std::shared_ptr<Book>> books;
    {
        std::shared_lock lock(books_mutex_);
        if (user_id.empty()) {
            for (const auto& [id, b] : books_) {
                books.push_back(b);
            }
        } else if (const auto it = books_.find(user_id); it != books_.end()) {
            books.push_back(it->second);
        }
    }
    for (const auto& b : books) {
        std::lock_guard lock(b->mutex);
        b->stale = true;  // read again by its next command
    }
    // The other instance may have set or removed any level. Only a price can reach one, so
    // instead of reading the book now (for every change), the next price of each symbol has
    // the book read and evaluated, and its exact levels registered again.
    if (!user_id.empty()) {
        watch_until_reloaded(user_id);
        return;
    }
    for (const auto& b : books) {
        if (owns(b->user_id)) {
            watch_every_symbol(b->user_id);
        }
    }
}

std::optional<std::vector<domain::Trade>> TradingService::trades_since(const std::string& user_id,
                                                                       std::int64_t from_ms) {
    ports::TradeQuery query;
    query.from_ms = from_ms;
    query.limit = 1000;
    query.fresh = true;
    try {
        auto trades = store_.trades(user_id, query);
        std::reverse(trades.begin(), trades.end());  // the store pages newest first
        return trades;
    } catch (const ports::StoreUnavailable&) {
        return std::nullopt;
    }
}

TradingService::Step TradingService::take_next(const std::shared_ptr<Book>& book) {
    std::lock_guard lock(book->mutex);
    if (book->waiting.empty()) {
        book->busy = false;
        return {};
    }
    auto next = std::move(book->waiting.front());
    book->waiting.pop_front();
    return next;
}

bool TradingService::moved_elsewhere(Book& book) {
    if (!settings_.confirm_refusals) {
        return false;
    }
    std::optional<std::int64_t> stored;
    try {
        stored = store_.book_revision(book.user_id);
    } catch (const ports::StoreUnavailable&) {
        return false;  // the refusal stands on what is known
    }
    if (!stored || *stored == book.revision) {
        return false;
    }
    std::lock_guard lock(book.mutex);
    book.stale = true;
    return true;
}

domain::Portfolio* TradingService::load(const std::shared_ptr<Book>& book, TradingError& error,
                                        bool& fresh) {
    bool stale = false;
    {
        std::lock_guard lock(book->mutex);
        stale = std::exchange(book->stale, false);
    }
    if (!book->portfolio || stale) {
        std::optional<domain::PortfolioState> state;
        try {
            state = store_.load_portfolio(book->user_id);
        } catch (const ports::StoreUnavailable&) {
            {
                std::lock_guard lock(book->mutex);
                if (stale) {
                    book->stale = true;  // still to be read again: the copy is not the store's
                }
                book->reload_after_ms = clock_.now_ms() + kReloadBackoffMs;
            }
            // A price that fired a level of this book has lost it; retried by a later price.
            watch_until_reloaded(book->user_id);
            error = store_unavailable();
            return nullptr;
        }
        if (!state) {
            error = TradingError{TradingErrorKind::kNotFound, {}, "no paper account"};
            return nullptr;
        }
        fresh = true;
        book->revision = state->revision;
        book->portfolio.emplace(
            std::move(*state), [this] { return ids_.next(clock_.now_ms()); },
            domain::SymbolCatalog::default_catalog(), settings_.slippage);
        std::lock_guard lock(book->mutex);
        book->committed = book->portfolio->state();
        book->reload_after_ms = 0;
    }
    return &*book->portfolio;
}

std::optional<domain::PortfolioState> TradingService::committed_state(const std::string& user_id) {
    if (!settings_.read_from_store) {
        auto b = book(user_id);
        std::lock_guard lock(b->mutex);
        if (b->committed && !b->stale) {
            return b->committed;
        }
    }
    // No command is needed for a read: the store's book is read as it is.
    return store_.load_portfolio(user_id);
}

std::expected<Decimal, TradingError> TradingService::position_price(
    const domain::Portfolio& portfolio, const std::string& symbol) const {
    if (portfolio.position(symbol) == nullptr) {
        return std::unexpected(
            rejected({domain::OrderErrorCode::kNoPosition, "symbol", "no open position"}));
    }
    const auto price = price_of(symbol);
    if (!price) {
        return std::unexpected(unavailable("no market price for " + symbol + " yet"));
    }
    return *price;
}

std::optional<Decimal> TradingService::price_of(std::string_view symbol) const {
    const auto tick = prices_.get(symbol);
    return tick ? std::optional<Decimal>(tick->price) : std::nullopt;
}

void TradingService::register_triggers(const std::string& user_id,
                                       const domain::Portfolio& portfolio,
                                       const std::string& symbol) {
    const auto band = portfolio.trigger_band(symbol);
    triggers_.set(user_id, symbol, band.upper, band.lower);
    catch_all_broken(user_id);
}

void TradingService::watch_every_symbol(const std::string& user_id) {
    for (const auto& spec : domain::SymbolCatalog::default_catalog().all()) {
        triggers_.set(user_id, spec.name, kAnyPrice, std::nullopt);
    }
}

void TradingService::watch_until_reloaded(const std::string& user_id) {
    if (owns(user_id) && !catch_all_standing(user_id)) {
        watch_every_symbol(user_id);
    }
}

bool TradingService::catch_all_standing(const std::string& user_id) {
    std::lock_guard lock(catch_all_mutex_);
    const bool standing = !catch_all_.insert(user_id).second;
    catch_all_size_.store(catch_all_.size(), std::memory_order_relaxed);
    return standing;
}

// After the level was replaced or removed: whoever marks the user again registers it again.
void TradingService::catch_all_broken(const std::string& user_id) {
    if (catch_all_size_.load(std::memory_order_relaxed) == 0) {
        return;
    }
    std::lock_guard lock(catch_all_mutex_);
    catch_all_.erase(user_id);
    catch_all_size_.store(catch_all_.size(), std::memory_order_relaxed);
}

void TradingService::register_changed(const std::string& user_id,
                                      const domain::Portfolio& portfolio,
                                      const domain::Changes& changes) {
    std::vector<std::string> symbols;
    const auto note = [&symbols](const std::string& symbol) {
        if (std::find(symbols.begin(), symbols.end(), symbol) == symbols.end()) {
            symbols.push_back(symbol);
        }
    };
    for (const auto& order : changes.orders)
        note(order.symbol);
    for (const auto& position : changes.positions)
        note(position.symbol);
    for (const auto& symbol : changes.closed_positions)
        note(symbol);
    for (const auto& symbol : symbols) {
        register_triggers(user_id, portfolio, symbol);
    }
}

void TradingService::count_order(domain::OrderType type, std::string_view result) {
    std::lock_guard lock(stats_mutex_);
    ++stats_.orders[{std::string(to_string(type)), std::string(result)}];
}

TradingService::Stats TradingService::stats() const {
    Stats out;
    {
        std::lock_guard lock(stats_mutex_);
        out = stats_;
    }
    out.trigger_registrations = triggers_.size();
    return out;
}

void TradingService::place_order(const std::string& user_id, domain::OrderRequest request,
                                 Reply<PlacedOrder> reply) {
    command(
        user_id, reply,
        [this, user_id, request = std::move(request)](domain::Portfolio& p,
                                                      const auto& reply) -> Outcome {
            if (request.client_order_id) {
                // Commands of one user run one at a time and each commits before the next starts,
                // so the store knows every earlier order, also from before a restart.
                if (auto first =
                        store_.find_order_by_client_id(user_id, *request.client_order_id)) {
                    auto fills = store_.fills(user_id, first->id);
                    reply(PlacedOrder{std::move(*first), std::move(fills), true});
                    return {};
                }
            }
            if (settings_.symbols->find(request.symbol) == nullptr) {
                count_order(request.type, "rejected");
                reply(std::unexpected(rejected({domain::OrderErrorCode::kUnknownSymbol, "symbol",
                                                "unknown symbol '" + request.symbol + "'"})));
                return {};
            }
            const auto price = price_of(request.symbol);
            if (!price) {
                reply(
                    std::unexpected(unavailable("no market price for " + request.symbol + " yet")));
                return {};
            }
            auto changes = p.place_order(request, *price, clock_.now_ms());
            if (!changes) {
                count_order(request.type, "rejected");
                reply(std::unexpected(rejected(std::move(changes.error()))));
                return {};
            }
            register_triggers(user_id, p, request.symbol);
            PlacedOrder placed{changes->orders.front(), {}, false};
            for (const auto& fill : changes->fills) {
                if (fill.order_id == placed.order.id) {
                    placed.fills.push_back(fill);
                }
            }
            count_order(request.type,
                        placed.order.status == domain::OrderStatus::kFilled ? "filled" : "resting");
            return {std::move(*changes), answer_after_commit(reply, std::move(placed))};
        });
}

void TradingService::cancel_order(const std::string& user_id, std::string order_id,
                                  Reply<domain::Order> reply) {
    command(
        user_id, reply,
        [this, user_id, order_id = std::move(order_id)](domain::Portfolio& p,
                                                        const auto& reply) -> Outcome {
            auto changes = p.cancel_order(order_id, clock_.now_ms());
            if (!changes) {
                if (changes.error().code == domain::OrderErrorCode::kOrderNotOpen) {
                    // Not resting: either it was filled or cancelled (409) or it never existed
                    // (404).
                    const auto known = store_.find_order(user_id, order_id);
                    reply(std::unexpected(
                        known ? rejected({domain::OrderErrorCode::kOrderNotOpen, "id",
                                          "the order is already " +
                                              std::string(to_string(known->status))})
                              : TradingError{TradingErrorKind::kNotFound, {}, "no such order"}));
                    return {};
                }
                reply(std::unexpected(rejected(std::move(changes.error()))));
                return {};
            }
            register_changed(user_id, p, *changes);
            auto order = changes->orders.front();
            return {std::move(*changes), answer_after_commit(reply, std::move(order))};
        });
}

void TradingService::close_position(const std::string& user_id, std::string symbol,
                                    std::optional<Decimal> quantity, Reply<domain::Trade> reply,
                                    domain::CloseReason reason) {
    command(user_id, reply,
            [this, user_id, symbol = std::move(symbol), quantity, reason](
                domain::Portfolio& p, const auto& reply) -> Outcome {
                const auto price = position_price(p, symbol);
                if (!price) {
                    reply(std::unexpected(price.error()));
                    return {};
                }
                auto changes = p.close_position(symbol, quantity, *price, reason, clock_.now_ms());
                if (!changes) {
                    reply(std::unexpected(rejected(std::move(changes.error()))));
                    return {};
                }
                register_triggers(user_id, p, symbol);
                auto trade = changes->trades.back();
                return {std::move(*changes), answer_after_commit(reply, std::move(trade))};
            });
}

void TradingService::set_protection(const std::string& user_id, std::string symbol,
                                    domain::ProtectionUpdate update, Reply<PositionView> reply) {
    command(user_id, reply,
            [this, user_id, symbol = std::move(symbol), update](domain::Portfolio& p,
                                                                const auto& reply) -> Outcome {
                const auto price = position_price(p, symbol);
                if (!price) {
                    reply(std::unexpected(price.error()));
                    return {};
                }
                auto changes = p.set_protection(symbol, update, *price, clock_.now_ms());
                if (!changes) {
                    reply(std::unexpected(rejected(std::move(changes.error()))));
                    return {};
                }
                register_triggers(user_id, p, symbol);
                auto view = position_view(*p.position(symbol));
                return {std::move(*changes), answer_after_commit(reply, std::move(view))};
            });
}

void TradingService::reset(const std::string& user_id, Reply<domain::AccountView> reply) {
    command(user_id, reply, [this, user_id](domain::Portfolio& p, const auto& reply) -> Outcome {
        auto changes = p.reset(clock_.now_ms());
        register_changed(user_id, p, changes);
        auto view = domain::account_view(p.state(), prices_.marks());
        if (!view) {
            reply(std::unexpected(rejected(view.error())));
            return {};
        }
        return {std::move(changes), answer_after_commit(reply, std::move(*view))};
    });
}

PositionView TradingService::position_view(const domain::Position& position) const {
    const auto mark = price_of(position.symbol).value_or(position.entry_price);
    return PositionView{
        position, mark, domain::unrealized_pnl(position, mark).value_or(Decimal{}),
        domain::liquidation_price(position.side, position.entry_price, position.leverage)};
}

std::expected<domain::AccountView, TradingError> TradingService::account(
    const std::string& user_id) {
    const auto state = committed_state(user_id);
    if (!state) {
        return std::unexpected(TradingError{TradingErrorKind::kNotFound, {}, "no paper account"});
    }
    auto view = domain::account_view(*state, prices_.marks());
    if (!view) {
        return std::unexpected(rejected(view.error()));
    }
    return *view;
}

std::expected<TradingService::Holdings, TradingError> TradingService::holdings(
    const std::string& user_id, const domain::MarkPrices& marks) {
    const auto of =
        [&marks](const domain::PortfolioState& state) -> std::expected<Holdings, TradingError> {
        auto view = domain::account_view(state, marks);
        if (!view) {
            return std::unexpected(rejected(view.error()));
        }
        Holdings out{view->equity, {}};
        for (const auto& [symbol, position] : state.positions) {
            out.positions.emplace_back(symbol, position.side);
        }
        return out;
    };
    // A bot asks this for thousands of users per candle: a copy that no other instance has
    // changed is read in place, even where API reads go to the store (read_from_store), which
    // a cluster's candle close could not afford. A change made elsewhere reaches the copy within
    // the listener's 100 ms; a stale copy is not used.
    {
        auto b = book(user_id);
        std::lock_guard lock(b->mutex);
        if (b->committed && !b->stale) {
            return of(*b->committed);
        }
    }
    std::optional<domain::PortfolioState> state;
    try {
        state = store_.load_portfolio(user_id);
    } catch (const ports::StoreUnavailable&) {
        return std::unexpected(store_unavailable());  // that bot sits this candle out
    }
    if (!state) {
        return std::unexpected(TradingError{TradingErrorKind::kNotFound, {}, "no paper account"});
    }
    return of(*state);
}

std::expected<std::vector<PositionView>, TradingError> TradingService::positions(
    const std::string& user_id) {
    const auto state = committed_state(user_id);
    if (!state) {
        return std::unexpected(TradingError{TradingErrorKind::kNotFound, {}, "no paper account"});
    }
    std::vector<PositionView> out;
    for (const auto& [symbol, position] : state->positions) {
        out.push_back(position_view(position));
    }
    return out;
}

std::expected<TradingService::RevisedPerformance, TradingError> TradingService::performance(
    const std::string& user_id) {
    const auto state = committed_state(user_id);
    if (!state) {
        return std::unexpected(TradingError{TradingErrorKind::kNotFound, {}, "no paper account"});
    }
    const auto history = store_.all_trades(user_id);
    auto result = domain::performance(history.trades, state->account.initial_balance);
    if (!result) {
        return std::unexpected(rejected(result.error()));
    }
    return RevisedPerformance{std::move(*result), history.revision};
}

std::optional<std::int64_t> TradingService::revision(const std::string& user_id) {
    const auto state = committed_state(user_id);
    return state ? std::optional(state->revision) : std::nullopt;
}

void TradingService::on_price(const std::string& symbol, Decimal price, std::int64_t ts_ms,
                              std::function<void()> done) {
    prices_.set(symbol, {price, ts_ms, clock_.now_ms()});
    auto users = triggers_.fired(symbol, price);
    // Fired levels are gone, owned or not.
    for (const auto& user_id : users) {
        catch_all_broken(user_id);
    }
    // Books whose shard another instance owns are that instance's to evaluate.
    std::erase_if(users, [this](const std::string& user_id) { return !owns(user_id); });
    if (users.empty()) {
        if (done) {
            done();
        }
        return;
    }
    auto remaining = std::make_shared<std::atomic<std::size_t>>(users.size());
    auto complete = [remaining, done = std::move(done)] {
        if (remaining->fetch_sub(1) == 1 && done) {
            done();
        }
    };
    const auto now = clock_.now_ms();
    for (const auto& user_id : users) {
        auto b = book(user_id);
        bool backing_off = false;
        {
            std::lock_guard lock(b->mutex);
            backing_off = now < b->reload_after_ms;
        }
        if (backing_off) {
            // The store failed to give this book a moment ago: a later price tries again.
            triggers_.set(user_id, symbol, kAnyPrice, std::nullopt);
            complete();
            continue;
        }
        {
            std::lock_guard lock(stats_mutex_);
            ++stats_.trigger_evaluations;
        }
        run(b,
            [this, user_id, symbol, price, complete](domain::Portfolio* portfolio,
                                                     const TradingError&) -> Outcome {
                if (!portfolio) {
                    complete();  // load() left the book watched on every symbol
                    return {};
                }
                auto& p = *portfolio;
                auto changes = p.on_price(symbol, price, clock_.now_ms());
                register_triggers(user_id, p, symbol);
                return {std::move(changes), [complete](std::exception_ptr) { complete(); }};
            });
    }
}

std::size_t TradingService::charge_funding() {
    std::vector<std::shared_ptr<Book>> books;
    {
        std::shared_lock lock(books_mutex_);
        for (const auto& [user_id, b] : books_) {
            if (owns(user_id)) {
                books.push_back(b);
            }
        }
    }
    std::size_t visited = 0;
    for (const auto& b : books) {
        {
            // A copy another instance changed may lack a position opened there: it is read
            // again by the step below.
            std::lock_guard lock(b->mutex);
            if (!b->stale && (!b->committed || b->committed->positions.empty())) {
                continue;
            }
        }
        ++visited;
        run(b, [this](domain::Portfolio* portfolio, const TradingError&) -> Outcome {
            if (portfolio == nullptr) {
                return {};
            }
            domain::Changes all;
            const auto now = clock_.now_ms();
            std::vector<std::string> symbols;
            for (const auto& [symbol, position] : portfolio->state().positions) {
                symbols.push_back(symbol);
            }
            for (const auto& symbol : symbols) {
                const auto mark = price_of(symbol);
                if (!mark) {
                    continue;
                }
                auto changes = portfolio->apply_funding(symbol, *mark, settings_.funding_rate, now);
                if (!changes) {
                    continue;
                }
                append(all, std::move(*changes));
            }
            return {std::move(all), {}};
        });
    }
    return visited;
}

std::size_t TradingService::load_open_books() {
    auto users = store_.users_with_open_books();
    std::erase_if(users, [this](const std::string& user_id) { return !owns(user_id); });
    // Each book is loaded in its turn among the commands and price evaluations already running
    // on it: loaded beside one, it would race with it (and a price evaluated meanwhile on the
    // old copy would miss a stop set through another instance).
    // Signalled once, also when the step runs again (its changes met another instance's).
    struct Loaded {
        std::promise<void> promise;
        std::once_flag once;
        void signal() {
            std::call_once(once, [this] { promise.set_value(); });
        }
    };
    std::vector<std::future<void>> loaded;
    loaded.reserve(users.size());
    for (const auto& user_id : users) {
        auto done = std::make_shared<Loaded>();
        loaded.push_back(done->promise.get_future());
        run(book(user_id),
            [this, user_id, done](domain::Portfolio* portfolio, const TradingError&) -> Outcome {
                domain::Changes all;
                // A book that cannot be read is left watched on every symbol by load().
                if (portfolio != nullptr) {
                    std::set<std::string, std::less<>> symbols;
                    for (const auto& [symbol, position] : portfolio->state().positions) {
                        symbols.insert(symbol);
                    }
                    for (const auto& order : portfolio->state().open_orders) {
                        symbols.insert(order.symbol);
                    }
                    const auto now = clock_.now_ms();
                    for (const auto& symbol : symbols) {
                        // An older price is no longer the market (the feed or this instance's
                        // share of it stopped): the book waits for the next one.
                        const auto tick = prices_.get(symbol);
                        if (tick && now - tick->received_ms <= kTakeOverPriceAgeMs) {
                            append(all, portfolio->on_price(symbol, tick->price, now));
                        }
                        register_triggers(user_id, *portfolio, symbol);
                    }
                }
                done->signal();
                return {std::move(all), {}};
            });
    }
    for (auto& book_loaded : loaded) {
        book_loaded.wait();
    }
    return users.size();
}

}  // namespace botcore::engine
