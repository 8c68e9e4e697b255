// The JWT secret kept in the data directory, which the instances of a cluster may share.
#include "app/jwt_secret.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <vector>

#include "test_support.hpp"

namespace botcore {
namespace {

TEST(JwtSecret, InstancesStartingAtOnceOnOneDataDirectoryAllGetTheSameWholeSecret) {
    for (int round = 0; round < 20; ++round) {
        testing::TempDir dir;
        const auto data_dir = (std::filesystem::path(dir.path()) / "data").string();
        std::promise<void> go;
        const auto start = go.get_future().share();
        std::vector<std::future<std::expected<std::string, std::string>>> starts;
        for (int i = 0; i < 8; ++i) {
            starts.push_back(std::async(std::launch::async, [start, data_dir] {
                start.wait();
                return load_or_create_jwt_secret("", data_dir);
            }));
        }
        go.set_value();
        std::set<std::string> secrets;
        for (auto& s : starts) {
            const auto secret = s.get();
            ASSERT_TRUE(secret.has_value()) << secret.error();
            EXPECT_GE(secret->size(), 32u);
            secrets.insert(*secret);
        }
        EXPECT_EQ(secrets.size(), 1u);
        // Only the secret is left behind.
        const auto entries = std::distance(std::filesystem::directory_iterator(data_dir),
                                           std::filesystem::directory_iterator());
        EXPECT_EQ(entries, 1);
        EXPECT_EQ(load_or_create_jwt_secret("", data_dir), *secrets.begin());
    }
}

TEST(JwtSecret, TheConfiguredSecretWinsAndAShortStoredOneIsAnError) {
    testing::TempDir dir;
    EXPECT_EQ(load_or_create_jwt_secret("configured", dir.path()), "configured");
    EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(dir.path()) / "jwt_secret"));
    std::ofstream(std::filesystem::path(dir.path()) / "jwt_secret") << "short\n";
    const auto secret = load_or_create_jwt_secret("", dir.path());
    ASSERT_FALSE(secret.has_value());
    EXPECT_NE(secret.error().find("shorter than 32"), std::string::npos);
}

}  // namespace
}  // namespace botcore
