using System.Diagnostics;
using Runner.Cluster.Api;
using Runner.Cluster.Security;

namespace Runner.EndToEnd.Tests;

/// <summary>Mutual TLS between real coordinator and worker processes, with certificates made by `runner certs`.</summary>
[Collection("processes")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class ClusterTlsTests(ITestOutputHelper output)
{
    [Fact]
    public void Nodes_with_certificates_of_the_cluster_CA_run_a_sweep_and_strangers_never_join()
    {
        using var cluster = new LocalCluster(output);
        string certs = Path.Combine(cluster.Folder, "certs"), other = Path.Combine(cluster.Folder, "other-ca");
        foreach (var args in new[]
                 {
                     new[] { "certs", "init", certs }, new[] { "certs", "issue", certs, "coordinator", "--host", "127.0.0.1" },
                     new[] { "certs", "issue", certs, "worker-1" }, new[] { "certs", "issue", certs, "client" },
                     new[] { "certs", "init", other }, new[] { "certs", "issue", other, "stranger" },
                 })
        {
            var r = cluster.Cli(args);
            Assert.True(r.ExitCode == 0, r.Error);
        }
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(certs, "ca.pfx")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(certs, "worker-1.pfx")));
        // Signed by the right CA, but no longer valid (the CA starts 5 minutes back; this one ended a minute after that).
        var (ca, _) = ClusterCertificates.Load(Path.Combine(certs, "ca.pfx"), null);
        var caStart = new DateTimeOffset(ca.NotBefore.ToUniversalTime());
        ClusterCertificates.Save(Path.Combine(certs, "expired.pfx"),
            ClusterCertificates.Issue(ca, "expired", Array.Empty<string>(), caStart, caStart.AddMinutes(1)), ca, null);

        // The client (tests and `runner submit`) holds a certificate of the cluster: HTTPS, and it acts as an operator.
        cluster.ApiCredentials = new(ClusterTls.Load(Path.Combine(certs, "client.pfx")));
        cluster.CliEnvironment["RUNNER_TLS"] = Path.Combine(certs, "client.pfx");
        cluster.StartCoordinator("--tls", Path.Combine(certs, "coordinator.pfx"));
        Assert.StartsWith("https://", cluster.ApiUrl);
        cluster.StartWorker("--tls", Path.Combine(certs, "worker-1.pfx"));
        cluster.WaitFor(() => Workers(cluster) == 1, TimeSpan.FromSeconds(60), "the worker with the cluster's certificate to join");

        // Strangers: another CA's certificate, an expired one of this CA, and no TLS at all.
        var strangers = new[]
        {
            cluster.StartWorker("--tls", Path.Combine(other, "stranger.pfx"), "--join-timeout", "15").Process,
            cluster.StartWorker("--tls", Path.Combine(certs, "expired.pfx"), "--join-timeout", "15").Process,
            cluster.StartWorker("--join-timeout", "15").Process,
        };
        string sweep = cluster.Submit(cluster.WriteSweep("tls", 4));
        cluster.WaitFor(() => cluster.Count(sweep, "completed") == 4, TimeSpan.FromMinutes(4), "the sweep to finish over TLS");

        foreach (var p in strangers) Assert.True(p.WaitForExit(60_000), "a stranger worker is still trying after its join timeout");
        Assert.All(strangers, p => Assert.Equal(1, p.ExitCode));   // "cannot join the cluster"
        Assert.Equal(1, Workers(cluster));
        Assert.False(cluster.Coordinator!.HasExited);
        Assert.All(cluster.Rows(sweep), r => Assert.Equal(1, r.Attempts));
        string coordinatorLog = string.Join("\n", Directory.GetFiles(cluster.Folder, "coordinator-*.log").Select(File.ReadAllText));
        Assert.Contains("Refused a TLS connection", coordinatorLog);

        // The API: a credential is required; viewers read, operators act; a certificate of another CA never gets in.
        var authority = ClusterTls.LoadAuthority(Path.Combine(certs, "ca.crt"));
        string viewer = Token(cluster, "viewer"), @operator = Token(cluster, "operator");
        Assert.Equal(401, Call(new ApiCredentials(Authority: authority), HttpMethod.Get, "sweeps").Status);
        Assert.Equal(401, Call(new ApiCredentials(Authority: authority, Token: "runner_00000000_forged"), HttpMethod.Get, "sweeps").Status);
        var read = Call(new ApiCredentials(Authority: authority, Token: viewer), HttpMethod.Get, $"sweeps/{sweep}");
        Assert.Equal((200, 4), (read.Status, read.Body.GetProperty("completed").GetInt32()));
        var forged = Call(new ApiCredentials(Authority: authority, Token: viewer), HttpMethod.Post, $"sweeps/{sweep}/cancel");
        Assert.Equal(403, forged.Status);
        Assert.Contains("operator", forged.Body.GetProperty("error").GetString());
        var cancelled = Call(new ApiCredentials(Authority: authority, Token: @operator), HttpMethod.Post, $"sweeps/{sweep}/cancel");
        Assert.Equal((200, 4), (cancelled.Status, cancelled.Body.GetProperty("completed").GetInt32()));   // finished trials stay finished
        Assert.Throws<HttpRequestException>(() => Call(new ApiCredentials(ClusterTls.Load(Path.Combine(other, "stranger.pfx"))), HttpMethod.Get, "sweeps"));
        var status = cluster.Cli("status", sweep, "--json");
        Assert.True(status.ExitCode == 0, status.Error);

        // The models the sweep keeps (best-per-cell by default), which the worker uploaded over TLS: a viewer may
        // download one; it is a safetensors file (an 8-byte header length, then a JSON header of the tensors).
        var viewing = new ApiCredentials(Authority: authority, Token: viewer);
        string[] kept = Array.Empty<string>();
        cluster.WaitFor(() => (kept = Call(viewing, HttpMethod.Get, $"sweeps/{sweep}/models").Body.GetProperty("kept").EnumerateArray()
            .Select(k => k.GetString()!).ToArray()).Length > 0, TimeSpan.FromSeconds(30), "a kept model");
        using (var http = viewing.Client(TimeSpan.FromSeconds(10)))
        {
            using var model = http.Send(new HttpRequestMessage(HttpMethod.Get, cluster.ApiUrl + $"sweeps/{sweep}/trials/{kept[0]}/model"));
            Assert.Equal(200, (int)model.StatusCode);
            using var body = new MemoryStream();
            model.Content.ReadAsStream().CopyTo(body);
            byte[] bytes = body.ToArray();
            long header = BitConverter.ToInt64(bytes, 0);
            var tensors = System.Text.Json.JsonDocument.Parse(bytes.AsMemory(8, (int)header)).RootElement;
            Assert.True(tensors.TryGetProperty("head.weight", out _), "the model's head is in the file");
        }

        (int Status, System.Text.Json.JsonElement Body) Call(ApiCredentials credentials, HttpMethod method, string path)
        {
            using var http = credentials.Client(TimeSpan.FromSeconds(10));
            using var response = http.Send(new HttpRequestMessage(method, cluster.ApiUrl + path));
            return ((int)response.StatusCode, System.Text.Json.JsonDocument.Parse(response.Content.ReadAsStringAsync().Result).RootElement.Clone());
        }
    }

    /// <summary>`runner token create` on the coordinator's state folder: the token is the one line it prints.</summary>
    static string Token(LocalCluster cluster, string role)
    {
        var made = cluster.Cli("token", "create", "--role", role, "--state", cluster.CoordinatorState);
        Assert.True(made.ExitCode == 0, made.Error);
        Assert.DoesNotContain(made.Out.Trim(), File.ReadAllText(Path.Combine(cluster.CoordinatorState, ApiTokens.FileName)));
        return made.Out.Trim();
    }

    static int Workers(LocalCluster cluster)
    {
        var (status, body) = cluster.Api(HttpMethod.Get, "workers");
        return status == 200 ? body.GetArrayLength() : -1;
    }
}
