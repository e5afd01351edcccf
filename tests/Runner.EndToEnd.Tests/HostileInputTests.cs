using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Runner.Cluster.Api;
using Runner.Sweeps;

namespace Runner.EndToEnd.Tests;

/// <summary>
/// What a stranger or a broken client can send a coordinator: each gets a clear refusal (or a dropped connection),
/// and the sweep running meanwhile finishes as if nothing happened.
/// </summary>
[Collection("processes")]
public class HostileInputTests(ITestOutputHelper output)
{
    [Fact]
    public void Hostile_requests_and_bytes_are_refused_and_the_running_sweep_is_not_disturbed()
    {
        using var cluster = new LocalCluster(output);
        cluster.StartCoordinator("--max-trials", "50", "--max-request-mb", "1");
        cluster.StartWorker();
        string file = cluster.WriteSweep("steady", 6);
        string sweep = cluster.Submit(file);

        // A slow client: a body promised and dribbled a byte a second is cut off by the server, and nobody waits for it.
        var slowFor = TimeSpan.Zero;
        var slow = new Thread(() => slowFor = SlowClient(cluster.ApiPort));
        slow.Start();

        var valid = SweepRequest.From(SweepFile.Load(file));
        var trial = valid.Trials.First(t => t.Initialization == Initialization.Pretrained);
        string Body(string name, params TrialSpec[] trials) =>
            JsonSerializer.Serialize(new CoordinatorApi.SubmitRequest(valid with { Name = name, Trials = trials }), CoordinatorApi.Json);
        var cases = new (string What, string Json, int Status, string Says)[]
        {
            ("an empty sweep", Body("empty"), 400, "the sweep has no trials"),
            ("a trial with nothing in it", """{"sweep": {"name": "x", "trials": [{}], "max_failures": 3}}""", 400, "missing required properties"),
            ("an unknown model", Body("model", trial with { Model = "gpt-5" }), 400, "unknown model 'gpt-5'"),
            ("a freeze depth the model lacks", Body("depth", trial with { FreezeDepth = 9 }), 400, "freeze_depth 9 is outside 0..4"),
            ("a learning rate of zero", Body("rate", trial with { LearningRate = 0 }), 400, "learning_rate must be > 0"),
            ("a path named without its artifact", Body("path", trial with { WeightsPath = "/etc/shadow" }), 400, "travels by its SHA-256"),
            ("a body that is not JSON", """{"sweep": """, 400, "bad JSON"),
            ("an unknown field", """{"sudo": true, "sweep": null}""", 400, "'sudo'"),
            ("deep nesting", """{"sweep": {"name": """ + new string('[', 10_000) + new string(']', 10_000) + "}}", 400, "depth"),
            ("more trials than the coordinator takes", Body("huge", Enumerable.Repeat(trial, 51).ToArray()), 413, "more than this coordinator takes (50"),
        };
        foreach (var (what, json, status, says) in cases)
        {
            var (got, body) = cluster.Api(HttpMethod.Post, "sweeps", json);
            Assert.True(got == status, $"{what}: HTTP {got}, expected {status}");
            string error = body.GetProperty("error").GetString()!;
            Assert.True(error.Contains(says, StringComparison.Ordinal), $"{what}: '{error}' does not say '{says}'");
            Assert.DoesNotContain("Exception", error);
        }

        // A body over the size limit is refused from its Content-Length, before the server reads it.
        var (bigStatus, bigReply) = RawRequest(cluster.ApiPort, "POST /sweeps", Body("big", trial).Length + (2 << 20));
        Assert.Equal(413, bigStatus);
        Assert.Contains("larger than this coordinator takes", bigReply);

        // Strangers on the cluster port: random bytes, a frame claiming 2 GB, a truncated frame, an HTTP request.
        var random = new Random(7);
        var garbage = new List<byte[]>
        {
            Enumerable.Range(0, 1 << 16).Select(_ => (byte)random.Next(256)).ToArray(),
            new byte[] { 0x7F, 0xFF, 0xFF, 0xF0, 1, 2, 3, 4 }, new byte[] { 0xF0, 0xFF, 0xFF, 0x7F, 1, 2, 3, 4 },
            new byte[] { 0x00, 0x00, 0x03, 0xE8, 0x0A, 0x0B }, new byte[] { 0xE8, 0x03, 0x00, 0x00, 0x0A, 0x0B },
            Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: runner\r\n\r\n"),
        };
        foreach (byte[] bytes in garbage)
        {
            using var stranger = new TcpClient();
            stranger.Connect("127.0.0.1", cluster.ClusterPort);
            try { stranger.GetStream().Write(bytes); }
            catch (IOException) { /* dropped while writing: as good as refused */ }
            Thread.Sleep(200);
        }

        Assert.True(slow.Join(TimeSpan.FromSeconds(70)), "the slow client's thread did not end");
        output.WriteLine($"slow client cut off after {slowFor.TotalSeconds:F1}s");
        Assert.True(slowFor < TimeSpan.FromSeconds(40), $"the server let a client send a byte a second for {slowFor.TotalSeconds:F0}s");
        cluster.WaitFor(() => cluster.Count(sweep, "completed") == 6, TimeSpan.FromMinutes(4), "the sweep to finish");
        Assert.False(cluster.Coordinator!.HasExited);
        Assert.All(cluster.Rows(sweep), r => Assert.Equal(1, r.Attempts));
        var (_, sweeps) = cluster.Api(HttpMethod.Get, "sweeps");
        Assert.Equal([sweep], sweeps.EnumerateArray().Select(s => s.GetProperty("sweep_id").GetString()));
        Assert.Equal(1, cluster.Api(HttpMethod.Get, "workers").Body.GetArrayLength());
    }

    /// <summary>Sends a request's headers promising a body of <paramref name="length"/> bytes, and none of it; returns the answer.</summary>
    static (int Status, string Body) RawRequest(int port, string requestLine, long length)
    {
        using var tcp = new TcpClient();
        tcp.Connect("127.0.0.1", port);
        var stream = tcp.GetStream();
        stream.ReadTimeout = 10_000;
        stream.Write(Encoding.ASCII.GetBytes($"{requestLine} HTTP/1.1\r\nHost: runner\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n"));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string text = reader.ReadToEnd();
        return (int.Parse(text.Split(' ')[1]), text[(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]);
    }

    /// <summary>Sends headers promising a body, then a byte a second; returns how long until the server hung up.</summary>
    static TimeSpan SlowClient(int port)
    {
        var started = DateTime.UtcNow;
        using var tcp = new TcpClient();
        tcp.Connect("127.0.0.1", port);
        var stream = tcp.GetStream();
        stream.Write(Encoding.ASCII.GetBytes("POST /sweeps HTTP/1.1\r\nHost: runner\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"));
        try
        {
            for (int i = 0; i < 60; i++)
            {
                Thread.Sleep(1000);
                stream.Write(" "u8);
                if (tcp.Client.Poll(0, SelectMode.SelectRead) && tcp.Client.Available == 0) break;
            }
        }
        catch (IOException) { /* the server closed the connection */ }
        return DateTime.UtcNow - started;
    }

    [Fact]
    public void A_node_refuses_to_listen_beyond_loopback_without_TLS_unless_told_insecure()
    {
        using var cluster = new LocalCluster(output);
        var coordinator = cluster.Cli("coordinator", "--api-host", "0.0.0.0", "--state", cluster.CoordinatorState);
        Assert.Equal(2, coordinator.ExitCode);
        Assert.StartsWith("runner coordinator: refusing to listen on 0.0.0.0 without TLS", coordinator.Error);
        Assert.Single(coordinator.Error.Trim().Split('\n'));
        var worker = cluster.Cli("worker", "--host", "10.1.2.3", "--seed-nodes", "10.1.2.4:4053");
        Assert.Equal(2, worker.ExitCode);
        Assert.Contains("refusing to listen on 10.1.2.3 without TLS", worker.Error);

        cluster.StartCoordinator("--api-host", "0.0.0.0", "--insecure");
        string log = string.Join("\n", Directory.GetFiles(cluster.Folder, "coordinator-*.log").Select(File.ReadAllText));
        Assert.Contains("WARNING: listening on 0.0.0.0 without TLS (--insecure)", log);
    }
}
