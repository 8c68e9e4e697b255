// A TradingStore that passes every call to another: test decorators derive from it and override
// only what they change (failures, a paused replica).
#pragma once

#include "ports/trading_store.hpp"

namespace botcore::testing {

class ForwardingTradingStore : public ports::TradingStore {
  public:
    explicit ForwardingTradingStore(ports::TradingStore& inner) : inner_(inner) {}

    std::optional<domain::PortfolioState> load_portfolio(std::string_view user_id) override {
        return inner_.load_portfolio(user_id);
    }
    std::optional<std::int64_t> book_revision(std::string_view user_id) override {
        return inner_.book_revision(user_id);
    }
    void commit(ports::TradingWrite write, Done done) override {
        inner_.commit(std::move(write), std::move(done));
    }
    std::optional<domain::Order> find_order(std::string_view user_id,
                                            std::string_view order_id) override {
        return inner_.find_order(user_id, order_id);
    }
    std::optional<domain::Order> find_order_by_client_id(
        std::string_view user_id, std::string_view client_order_id) override {
        return inner_.find_order_by_client_id(user_id, client_order_id);
    }
    std::vector<domain::Fill> fills(std::string_view user_id, std::string_view order_id) override {
        return inner_.fills(user_id, order_id);
    }
    std::vector<domain::Order> orders(std::string_view user_id,
                                      const ports::OrderQuery& query) override {
        return inner_.orders(user_id, query);
    }
    std::vector<domain::Trade> trades(std::string_view user_id,
                                      const ports::TradeQuery& query) override {
        return inner_.trades(user_id, query);
    }
    ports::TradeHistory all_trades(std::string_view user_id) override {
        return inner_.all_trades(user_id);
    }
    std::vector<std::string> users_with_open_books() override {
        return inner_.users_with_open_books();
    }
    std::vector<std::string> held_symbols() override { return inner_.held_symbols(); }
    std::int64_t open_positions() override { return inner_.open_positions(); }

  protected:
    ports::TradingStore& inner_;
};

}  // namespace botcore::testing
