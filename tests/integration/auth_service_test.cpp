// AuthService on each real store (SQLite and PostgreSQL) with a clock moved by hand.
#include "auth/auth_service.hpp"

#include <gtest/gtest.h>

#include "store_engines.hpp"
#include "test_support.hpp"

namespace botcore::auth {
namespace {

constexpr std::string_view kPassword = "correct horse battery";

class AuthServiceTest : public testing::EngineTest {
  protected:
    AuthServiceTest()
        : store(engine_->store()),
          jwt(std::string(40, 'k')),
          service(store, clock, revocations, jwt, settings()) {}

    static AuthSettings settings() {
        AuthSettings s;
        s.password_cost = {1, 8192};
        return s;
    }

    ports::User registered(std::string_view email = "trader@example.com") {
        auto user = service.register_user(email, kPassword, std::nullopt, "127.0.0.1");
        EXPECT_TRUE(user.has_value());
        return *user;
    }

    testing::ManualClock clock;
    ports::StoreEngine& store;
    RevocationList revocations;
    JwtCodec jwt;
    AuthService service;
};

TEST_P(AuthServiceTest, RegistrationNormalizesTheEmailAndDefaultsTheDisplayName) {
    const auto user = registered("  Trader@Example.COM ");
    EXPECT_EQ(user.email, "trader@example.com");
    EXPECT_EQ(user.display_name, "trader");
}

TEST_P(AuthServiceTest, SameEmailInAnotherCaseIsTaken) {
    registered("trader@example.com");
    auto again = service.register_user("TRADER@example.com", kPassword, std::nullopt, "");
    ASSERT_FALSE(again.has_value());
    EXPECT_EQ(again.error().kind, AuthErrorKind::kEmailTaken);
}

TEST_P(AuthServiceTest, ShortPasswordNamesTheField) {
    auto user = service.register_user("a@b.co", "elevenchars", std::nullopt, "");
    ASSERT_FALSE(user.has_value());
    EXPECT_EQ(user.error().kind, AuthErrorKind::kInvalidPassword);
    EXPECT_EQ(user.error().field, "password");
}

TEST_P(AuthServiceTest, PasswordLengthCountsCharactersNotBytes) {
    // Twelve characters, 24 bytes.
    EXPECT_TRUE(service.register_user("a@b.co", "éééééééééééé", std::nullopt, "").has_value());
    EXPECT_FALSE(service.register_user("c@d.co", "ééééééééééé", std::nullopt, "").has_value());
}

TEST_P(AuthServiceTest, LoginIssuesATokenThatAuthenticatesAsTheUser) {
    const auto user = registered();
    auto pair = service.login("trader@example.com", kPassword, "");
    ASSERT_TRUE(pair.has_value());
    auto identity = service.authenticate("Bearer " + pair->access_token);
    ASSERT_TRUE(identity.has_value());
    EXPECT_EQ(identity->user_id, user.id);
    EXPECT_EQ(identity->expires_s, clock.now_ms() / 1000 + 86400);
}

TEST_P(AuthServiceTest, FiveFailuresLockEvenTheRightPasswordUntilTheLockEnds) {
    registered();
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(service.login("trader@example.com", "wrong password!", "").error().kind,
                  AuthErrorKind::kBadCredentials);
    }
    auto fifth = service.login("trader@example.com", "wrong password!", "");
    ASSERT_FALSE(fifth.has_value());
    EXPECT_EQ(fifth.error().kind, AuthErrorKind::kLocked);
    EXPECT_EQ(fifth.error().retry_after_s, 900);

    clock.advance_ms(600'000);
    auto locked = service.login("trader@example.com", kPassword, "");
    ASSERT_FALSE(locked.has_value());
    EXPECT_EQ(locked.error().kind, AuthErrorKind::kLocked);
    EXPECT_EQ(locked.error().retry_after_s, 300);

    clock.advance_ms(300'000);
    EXPECT_TRUE(service.login("trader@example.com", kPassword, "").has_value());
}

TEST_P(AuthServiceTest, LockoutIsAudited) {
    const auto user = registered();
    for (int i = 0; i < 5; ++i) {
        (void)service.login("trader@example.com", "wrong password!", "10.1.2.3");
    }
    const auto log = store.audit_log(user.id, 10);
    ASSERT_GE(log.size(), 7u);
    EXPECT_EQ(log[0].action, "lockout");
    EXPECT_EQ(log[0].ip, "10.1.2.3");
    EXPECT_EQ(std::count_if(log.begin(), log.end(),
                            [](const auto& e) { return e.action == "login_failed"; }),
              5);
}

TEST_P(AuthServiceTest, RefreshRotatesTheRefreshToken) {
    registered();
    auto first = service.login("trader@example.com", kPassword, "");
    ASSERT_TRUE(first.has_value());
    auto second = service.refresh(first->refresh_token);
    ASSERT_TRUE(second.has_value());
    EXPECT_NE(second->refresh_token, first->refresh_token);
    EXPECT_TRUE(service.authenticate_token(second->access_token).has_value());
    EXPECT_FALSE(service.refresh(first->refresh_token).has_value());
}

TEST_P(AuthServiceTest, LogoutRevokesTheAccessTokenAndItsRefreshToken) {
    registered();
    auto pair = service.login("trader@example.com", kPassword, "");
    auto other = service.login("trader@example.com", kPassword, "");
    auto identity = service.authenticate_token(pair->access_token);
    ASSERT_TRUE(identity.has_value());
    service.logout(*identity, "");
    EXPECT_FALSE(service.authenticate_token(pair->access_token).has_value());
    EXPECT_FALSE(service.refresh(pair->refresh_token).has_value());
    EXPECT_TRUE(service.authenticate_token(other->access_token).has_value());
    EXPECT_TRUE(service.refresh(other->refresh_token).has_value());
}

TEST_P(AuthServiceTest, ExpiredAccessTokenIsRefused) {
    registered();
    auto pair = service.login("trader@example.com", kPassword, "");
    clock.advance_ms(86'400'000);
    auto identity = service.authenticate_token(pair->access_token);
    ASSERT_FALSE(identity.has_value());
    EXPECT_EQ(identity.error().kind, AuthErrorKind::kBadToken);
}

TEST_P(AuthServiceTest, PasswordChangeNeedsTheCurrentPasswordAndEndsRefreshTokens) {
    registered();
    auto pair = service.login("trader@example.com", kPassword, "");
    auto identity = service.authenticate_token(pair->access_token);
    EXPECT_EQ(service.change_password(*identity, "not the password", "a brand new password", "")
                  .error()
                  .kind,
              AuthErrorKind::kWrongPassword);
    ASSERT_TRUE(
        service.change_password(*identity, kPassword, "a brand new password", "").has_value());
    EXPECT_FALSE(service.refresh(pair->refresh_token).has_value());
    EXPECT_FALSE(service.login("trader@example.com", kPassword, "").has_value());
    EXPECT_TRUE(service.login("trader@example.com", "a brand new password", "").has_value());
}

TEST_P(AuthServiceTest, UnknownEmailFailsLikeAWrongPassword) {
    auto result = service.login("nobody@example.com", kPassword, "");
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().kind, AuthErrorKind::kBadCredentials);
}

INSTANTIATE_TEST_SUITE_P(Engines, AuthServiceTest, ::testing::ValuesIn(testing::kEngineNames),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace botcore::auth
