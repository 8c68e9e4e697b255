#include "api/trading_json.hpp"

namespace botcore::api {

using domain::Decimal;

void decimal_or_null(JsonWriter& json, std::string_view name, const std::optional<Decimal>& value) {
    json.key(name);
    value ? json.value(value->to_string()) : json.null();
}

void write_fill(JsonWriter& json, const domain::Fill& fill) {
    json.begin_object();
    json.field("price", fill.price.to_string());
    json.field("quantity", fill.quantity.to_string());
    json.field("fee", fill.fee.to_string());
    json.field("liquidity", to_string(fill.liquidity));
    json.field("ts_ms", fill.time_ms);
    json.end_object();
}

void write_order(JsonWriter& json, const domain::Order& o, const std::vector<domain::Fill>* fills) {
    json.begin_object();
    json.field("id", o.id);
    json.key("client_order_id");
    o.client_order_id ? json.value(*o.client_order_id) : json.null();
    json.field("symbol", o.symbol);
    json.field("side", to_string(o.side));
    json.field("type", to_string(o.type));
    json.field("status", to_string(o.status));
    json.field("quantity", o.quantity.to_string());
    decimal_or_null(json, "price", o.price);
    decimal_or_null(json, "stop_price", o.stop_price);
    json.field("leverage", o.leverage);
    json.field("reduce_only", o.reduce_only);
    json.field("triggered", o.triggered);
    json.field("filled_quantity", o.filled_quantity.to_string());
    decimal_or_null(json, "average_price", o.average_price);
    json.field("fees", o.fees.to_string());
    decimal_or_null(json, "stop_loss", o.stop_loss);
    decimal_or_null(json, "take_profit", o.take_profit);
    decimal_or_null(json, "trailing_stop_pct", o.trailing_stop_pct);
    json.field("created_ms", o.created_ms);
    json.field("updated_ms", o.updated_ms);
    if (fills != nullptr) {
        json.key("fills");
        json.begin_array();
        for (const auto& fill : *fills) {
            write_fill(json, fill);
        }
        json.end_array();
    }
    json.end_object();
}

void write_position(JsonWriter& json, const engine::PositionView& view) {
    const auto& p = view.position;
    json.begin_object();
    json.field("symbol", p.symbol);
    json.field("side", to_string(p.side));
    json.field("quantity", p.quantity.to_string());
    json.field("entry_price", p.entry_price.to_string());
    json.field("mark_price", view.mark_price.to_string());
    json.field("leverage", p.leverage);
    json.field("margin", p.margin.to_string());
    json.field("unrealized_pnl", view.unrealized_pnl.to_string());
    decimal_or_null(json, "liquidation_price", view.liquidation_price);
    decimal_or_null(json, "stop_loss", p.stop_loss);
    decimal_or_null(json, "take_profit", p.take_profit);
    decimal_or_null(json, "trailing_stop_pct", p.trailing_stop_pct);
    json.field("opened_ms", p.opened_ms);
    json.end_object();
}

void write_trade(JsonWriter& json, const domain::Trade& t) {
    json.begin_object();
    json.field("id", t.id);
    json.field("symbol", t.symbol);
    json.field("side", to_string(t.side));
    json.field("quantity", t.quantity.to_string());
    json.field("entry_price", t.entry_price.to_string());
    json.field("exit_price", t.exit_price.to_string());
    json.field("leverage", t.leverage);
    json.field("realized_pnl", t.realized_pnl.to_string());
    json.field("fees", t.fees.to_string());
    json.field("close_reason", to_string(t.close_reason));
    json.field("opened_ms", t.opened_ms);
    json.field("closed_ms", t.closed_ms);
    json.end_object();
}

void write_performance(JsonWriter& json, const domain::Performance& p) {
    json.begin_object();
    json.field("total_trades", p.total_trades);
    json.field("wins", p.wins);
    json.field("losses", p.losses);
    decimal_or_null(json, "win_rate", p.win_rate);
    json.field("gross_profit", p.gross_profit.to_string());
    json.field("gross_loss", p.gross_loss.to_string());
    json.field("net_pnl", p.net_pnl.to_string());
    decimal_or_null(json, "profit_factor", p.profit_factor);
    json.field("max_drawdown", p.max_drawdown.to_string());
    json.field("max_drawdown_fraction", p.max_drawdown_fraction.to_string());
    json.key("equity_curve");
    json.begin_array();
    for (const auto& point : p.equity_curve) {
        json.begin_object();
        json.field("ts_ms", point.time_ms);
        json.field("equity", point.equity.to_string());
        json.end_object();
    }
    json.end_array();
    json.end_object();
}

void write_account(JsonWriter& json, const domain::AccountView& a) {
    json.begin_object();
    json.field("currency", a.currency);
    json.field("balance", a.balance.to_string());
    json.field("equity", a.equity.to_string());
    json.field("margin_used", a.margin_used.to_string());
    json.field("reserved_margin", a.reserved_margin.to_string());
    json.field("free_margin", a.free_margin.to_string());
    decimal_or_null(json, "margin_level", a.margin_level);
    json.field("unrealized_pnl", a.unrealized_pnl.to_string());
    json.field("realized_pnl", a.realized_pnl.to_string());
    json.field("fees_paid", a.fees_paid.to_string());
    json.field("funding_paid", a.funding_paid.to_string());
    json.end_object();
}

void write_candle(JsonWriter& json, const market::Candle& c) {
    json.begin_object();
    json.field("open_ms", c.open_ms);
    json.field("open", c.open.to_string());
    json.field("high", c.high.to_string());
    json.field("low", c.low.to_string());
    json.field("close", c.close.to_string());
    json.field("volume", c.volume.to_string());
    json.field("closed", c.closed);
    json.end_object();
}

}  // namespace botcore::api
