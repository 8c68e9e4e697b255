#include "api/analysis_json.hpp"

#include <optional>

namespace botcore::api {

namespace {

void number_or_null(JsonWriter& json, std::string_view name, const std::optional<double>& value) {
    json.key(name);
    value ? json.value(*value) : json.null();
}

void write_indicators(JsonWriter& json, const analysis::TimeframeIndicators& in) {
    json.begin_object();
    number_or_null(json, "rsi", in.rsi);
    number_or_null(json, "macd_histogram", in.macd_histogram);
    number_or_null(json, "bollinger_position", in.bollinger_position);
    number_or_null(json, "stochastic_k", in.stochastic_k);
    number_or_null(json, "stochastic_d", in.stochastic_d);
    number_or_null(json, "atr", in.atr);
    number_or_null(json, "adx", in.adx);
    json.key("ema_trend");
    in.ema_trend ? json.value(analysis::to_string(*in.ema_trend)) : json.null();
    number_or_null(json, "volume_ratio", in.volume_ratio);
    json.end_object();
}

void write_timeframe(JsonWriter& json, const analysis::TimeframeSignal& frame) {
    json.begin_object();
    json.field("vote", analysis::to_string(frame.vote));
    json.field("score", frame.score);
    json.field("confidence", frame.confidence);
    json.field("weight", frame.weight);
    json.field("ready", frame.ready);
    json.key("indicators");
    write_indicators(json, frame.indicators);
    json.key("strategies");
    json.begin_object();
    for (const auto strategy : analysis::kStrategies) {
        const auto& vote = frame.votes[strategy];
        json.key(analysis::to_string(strategy));
        json.begin_object();
        json.field("vote", analysis::to_string(vote.direction));
        json.field("confidence", vote.confidence);
        json.end_object();
    }
    json.end_object();
    json.end_object();
}

}  // namespace

std::string signal_json(std::string_view symbol, const engine::SignalSnapshot& snapshot,
                        bool cached) {
    const auto& signal = snapshot.signal;
    JsonWriter json;
    json.begin_object();
    json.field("symbol", symbol);
    json.field("signal", analysis::to_string(signal.direction));
    json.field("confidence", signal.confidence);
    json.field("score", signal.score);
    json.key("primary");
    signal.primary ? json.value(market::to_string(*signal.primary)) : json.null();
    json.key("indicators");
    write_indicators(json, signal.indicators);
    json.key("timeframes");
    json.begin_object();
    for (const auto& frame : signal.timeframes) {
        json.key(market::to_string(frame.interval));
        write_timeframe(json, frame);
    }
    json.end_object();
    json.field("computed_ms", snapshot.computed_ms);
    json.field("cached", cached);
    json.end_object();
    return json.take();
}

}  // namespace botcore::api
