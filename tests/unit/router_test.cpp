#include "api/router.hpp"

#include <gtest/gtest.h>

namespace botcore::api {
namespace {

Handler answer(int status) {
    return [status](const HttpRequest&, const PathParams&) { return json_response(status, "{}"); };
}

Router sample_router() {
    Router router;
    router.add(Method::kGet, "/health", Execution::kInline, answer(200));
    router.add(Method::kGet, "/api/orders", Execution::kBlocking, answer(201));
    router.add(Method::kGet, "/api/orders/{id}", Execution::kBlocking, answer(202));
    router.add(Method::kDelete, "/api/orders/{id}", Execution::kBlocking, answer(203));
    router.add(Method::kPost, "/api/positions/{symbol}/close", Execution::kBlocking, answer(204));
    return router;
}

TEST(Router, MatchesLiteralPath) {
    auto router = sample_router();
    auto match = router.match(Method::kGet, "/health");
    ASSERT_TRUE(std::holds_alternative<RouteMatch>(match));
    EXPECT_EQ(std::get<RouteMatch>(match).route->pattern, "/health");
}

TEST(Router, CapturesPathParameters) {
    auto router = sample_router();
    auto match = router.match(Method::kPost, "/api/positions/BTCUSDT/close");
    ASSERT_TRUE(std::holds_alternative<RouteMatch>(match));
    EXPECT_EQ(std::get<RouteMatch>(match).params.get("symbol"), "BTCUSDT");
}

TEST(Router, ChoosesTheRouteOfTheRequestMethod) {
    auto router = sample_router();
    auto match = router.match(Method::kDelete, "/api/orders/42");
    ASSERT_TRUE(std::holds_alternative<RouteMatch>(match));
    const auto& found = std::get<RouteMatch>(match);
    EXPECT_EQ(found.route->method, Method::kDelete);
    EXPECT_EQ(found.params.get("id"), "42");
}

TEST(Router, ParameterDoesNotMatchAnEmptySegmentOrExtraSegments) {
    auto router = sample_router();
    EXPECT_TRUE(std::holds_alternative<ApiError>(router.match(Method::kGet, "/api/orders/")));
    EXPECT_TRUE(std::holds_alternative<ApiError>(router.match(Method::kGet, "/api/orders/1/2")));
}

TEST(Router, UnknownPathIsNotFound) {
    auto router = sample_router();
    auto match = router.match(Method::kGet, "/nope");
    ASSERT_TRUE(std::holds_alternative<ApiError>(match));
    EXPECT_EQ(std::get<ApiError>(match).status, 404);
    EXPECT_EQ(std::get<ApiError>(match).code, "not_found");
}

TEST(Router, KnownPathWithAnotherMethodIsMethodNotAllowedListingTheAllowedOnes) {
    auto router = sample_router();
    auto match = router.match(Method::kPut, "/api/orders/7");
    ASSERT_TRUE(std::holds_alternative<ApiError>(match));
    const auto& error = std::get<ApiError>(match);
    EXPECT_EQ(error.status, 405);
    EXPECT_EQ(error.allow, "GET, DELETE");
    const auto response = error_response(error);
    ASSERT_EQ(response.headers.size(), 1u);
    EXPECT_EQ(response.headers[0].first, "Allow");
}

TEST(Router, TrailingSlashIsADifferentPath) {
    auto router = sample_router();
    EXPECT_TRUE(std::holds_alternative<ApiError>(router.match(Method::kGet, "/health/")));
}

TEST(HttpRequest, QueryParametersArePercentDecoded) {
    HttpRequest request;
    request.query = "symbol=BTC%2FUSDT&limit=10&empty=&flag&name=a+b";
    EXPECT_EQ(request.query_param("symbol"), "BTC/USDT");
    EXPECT_EQ(request.query_param("limit"), "10");
    EXPECT_EQ(request.query_param("empty"), "");
    EXPECT_EQ(request.query_param("flag"), "");
    EXPECT_EQ(request.query_param("name"), "a b");
    EXPECT_EQ(request.query_param("missing"), std::nullopt);
}

}  // namespace
}  // namespace botcore::api

namespace botcore::api {
namespace {

TEST(Responder, AnswersOnlyOnce) {
    std::vector<int> statuses;
    Responder respond([&statuses](HttpResponse response) { statuses.push_back(response.status); });
    respond(json_response(201, "{}"));
    respond(json_response(200, "{}"));
    EXPECT_EQ(statuses, std::vector<int>{201});
}

TEST(Responder, DroppedWithoutAnAnswerRepliesWithA500InsteadOfHanging) {
    std::vector<int> statuses;
    {
        Responder respond(
            [&statuses](HttpResponse response) { statuses.push_back(response.status); });
        Responder copy = respond;  // copies share one answer
    }
    EXPECT_EQ(statuses, std::vector<int>{500});
}

}  // namespace
}  // namespace botcore::api
