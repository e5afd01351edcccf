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
        var (viewer, _) = tokens.Create(ApiRole.Viewer);
        string file = Path.Combine(state, ApiTokens.FileName);
        Assert.DoesNotContain(viewer, File.ReadAllText(file));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));

        // Another reader of the same file (a running coordinator) sees tokens made and revoked after it started.
        SeenByAnotherReader(tokens, ApiTokens.In(state), wait: () => { });
    }

    /// <summary>Coordinators on one PostgreSQL store (an active one and its standby) share their tokens.</summary>
    [SkippableFact]
    public void Tokens_in_a_PostgreSQL_store_work_on_every_coordinator_of_it_and_a_revocation_counts_within_a_second()
    {
        string? why = Runner.Testing.PostgresServer.WhyNot();
        Skip.If(why != null, why);
        using var postgres = new Runner.Testing.PostgresServer();
        var store = Runner.Results.StoreLocation.Parse(postgres.NewDatabase("tokens"), Path.GetTempPath());
        SeenByAnotherReader(ApiTokens.For(store), ApiTokens.For(store), wait: () => Thread.Sleep(ApiTokenTable.FreshFor + TimeSpan.FromMilliseconds(100)));
    }

    static void SeenByAnotherReader(ApiTokens maker, ApiTokens coordinator, Action wait)
    {
        Assert.Null(coordinator.RoleOf("runner_0000_nothing"));
        var (viewer, viewerId) = maker.Create(ApiRole.Viewer);
        var (op, _) = maker.Create(ApiRole.Operator);
        wait();
        Assert.Equal(ApiRole.Viewer, coordinator.RoleOf(viewer));
        Assert.Equal(ApiRole.Operator, coordinator.RoleOf(op));
        Assert.Null(coordinator.RoleOf(viewer + "x"));
        Assert.True(maker.Revoke(viewerId));
        Assert.False(maker.Revoke(viewerId));
        wait();
        Assert.Null(coordinator.RoleOf(viewer));
        Assert.Equal(ApiRole.Operator, coordinator.RoleOf(op));
        Assert.DoesNotContain(maker.List(), e => e.Id == viewerId);
    }
}
