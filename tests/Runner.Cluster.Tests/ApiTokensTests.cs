using Runner.Cluster.Api;

namespace Runner.Cluster.Tests;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class ApiTokensTests
{
    [Fact]
    public void A_token_is_shown_once_kept_hashed_owner_only_and_stops_working_when_revoked()
    {
        string state = Runner.Testing.ScratchFolders.New("tokens");
        var tokens = ApiTokens.In(state);
        var (viewer, viewerId) = tokens.Create(ApiRole.Viewer);
        var (op, _) = tokens.Create(ApiRole.Operator);
        string file = Path.Combine(state, ApiTokens.FileName);
        Assert.DoesNotContain(viewer, File.ReadAllText(file));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));

        // Another reader of the same file (a running coordinator) sees tokens made and revoked after it started.
        var coordinator = ApiTokens.In(state);
        Assert.Equal(ApiRole.Viewer, coordinator.RoleOf(viewer));
        Assert.Equal(ApiRole.Operator, coordinator.RoleOf(op));
        Assert.Null(coordinator.RoleOf(viewer + "x"));
        Assert.True(tokens.Revoke(viewerId));
        Assert.False(tokens.Revoke(viewerId));
        Assert.Null(coordinator.RoleOf(viewer));
        Assert.Equal(ApiRole.Operator, coordinator.RoleOf(op));
    }
}
