using System.Text.Json;
using Runner.Cluster.Api;
using Runner.Sweeps;
using Spectre.Console;

namespace Runner.Cli.Commands;

/// <summary>`runner submit FILE`: validates and expands the sweep here, then hands it to a running cluster.</summary>
public sealed class SubmitCommand : ICommand
{
    public string Name => "submit";
    public string Summary => "submit a sweep file to a running cluster";
    public string Description => """
        Validates FILE here (errors as FILE:LINE:COL, exit 2, nothing sent), expands it and submits it to the
        coordinator's HTTP API. The weight file and image folder it names are uploaded first (only what the
        coordinator lacks; an interrupted upload resumes), so workers need no copy of them. Submitting the same file
        again is harmless (same sweep id). Trials the cluster's state folder already finished are reused.
        """;
    public IReadOnlyList<ArgumentSpec> Arguments => new ArgumentSpec[] { new("FILE", "the sweep file") };
    public IReadOnlyList<OptionSpec> Options => new OptionSpec[]
    {
        OptionSpec.Flag("new", "allow a changed definition under a name the cluster already has"),
        OptionSpec.Flag("rerun", "run every trial again"),
        new("data", "DIR", "Fashion-MNIST folder used to check dataset_size here"),
    }.Concat(ClusterWiring.ClientOptions).ToArray();

    public int Execute(Arguments args, CliContext context)
    {
        var definition = SweepLoader.Load(args.Single("a sweep FILE"), args.Get("data"), context.Error);
        var coordinator = CoordinatorClient.From(args);
        // The workers may be other machines: the files the sweep names here go to the coordinator first.
        var request = SweepUploads.Send(SweepRequest.From(definition), coordinator.Artifacts(), context);
        var reply = coordinator.Expect(HttpMethod.Post, "sweeps", new CoordinatorApi.SubmitRequest(request, args.Has("new"), args.Has("rerun")));
        string id = reply.GetProperty("sweep_id").GetString()!;
        string trials = $"{(request.Search == null ? "" : "up to ")}{reply.GetProperty("trials").GetInt32()} trials";
        context.Out.WriteLine(reply.GetProperty("already_known").GetBoolean()
            ? $"sweep {id} was already submitted: {trials}"
            : $"submitted sweep {id}: {trials}, {reply.GetProperty("reused").GetInt32()} reused from earlier results");
        return 0;
    }
}

/// <summary>`runner status [SWEEP]`: progress of one or every sweep of a running cluster.</summary>
public sealed class StatusCommand : ICommand
{
    public string Name => "status";
    public string Summary => "show the progress of the sweeps in a running cluster";
    public string Description => """
        One line per sweep (or the named one): trials completed, running, pending, failed, cancelled; and the workers.
        With --watch SWEEP: live progress until the sweep is finished (progress bar, ETA, one line per running trial
        with its worker, epoch, validation accuracy and images per second, the best result so far; plain lines when
        the output is not a terminal).
        """;
    public IReadOnlyList<ArgumentSpec> Arguments => new ArgumentSpec[] { new("SWEEP", "a sweep id (default: every sweep)", Required: false) };
    public IReadOnlyList<OptionSpec> Options => new OptionSpec[]
    {
        OptionSpec.Flag("json", "print the status as JSON"),
        OptionSpec.Flag("watch", "follow one sweep live until it is finished"),
    }.Concat(ClusterWiring.ClientOptions).ToArray();

    public int Execute(Arguments args, CliContext context)
    {
        if (args.Positional.Count > 1) throw new UsageException("'status' takes at most one SWEEP");
        var client = CoordinatorClient.From(args);
        if (args.Has("watch"))
        {
            if (args.Positional.Count == 0) throw new UsageException("--watch needs a SWEEP");
            string path = $"sweeps/{args.Positional[0]}/progress";
            var final = ProgressView.Follow(() => client.Expect(HttpMethod.Get, path).Deserialize<Runner.Cluster.Protocol.SweepReplies.SweepProgress>(CoordinatorApi.Json)!,
                context, live: true);
            return final.Failed > 0 ? 1 : 0;
        }
        var body = args.Positional.Count == 1 ? client.Expect(HttpMethod.Get, "sweeps/" + args.Positional[0]) : client.Expect(HttpMethod.Get, "sweeps");
        if (args.Has("json"))
        {
            context.Out.WriteLine(body.GetRawText());
            return 0;
        }
        var sweeps = body.ValueKind == JsonValueKind.Array ? body.EnumerateArray().ToList() : new List<JsonElement> { body };
        if (sweeps.Count == 0) context.Out.WriteLine("no sweeps yet");
        foreach (var s in sweeps)
        {
            int Get(string n) => s.TryGetProperty(n, out var v) ? v.GetInt32() : 0;
            // Pretrained bases are tasks of the sweep: trials that need one wait until it is built.
            string bases = Get("bases") > 0 ? $" · bases built {Get("bases_built")}/{Get("bases")}" : "";
            context.Out.WriteLine($"{s.GetProperty("sweep_id").GetString()}: {Get("completed") + Get("failed") + Get("cancelled")}/{Get("total")} done · completed {Get("completed")}, running {Get("running")}, pending {Get("pending")}, failed {Get("failed")}, cancelled {Get("cancelled")}{bases}");
        }
        var workers = client.Expect(HttpMethod.Get, "workers");
        var table = new Table().Border(TableBorder.Simple).AddColumn("worker").AddColumn("device").AddColumn("state");
        foreach (var w in workers.EnumerateArray())
            table.AddRow(Markup.Escape(w.GetProperty("worker").GetString()!), w.GetProperty("device").GetString()!, w.GetProperty("idle").GetBoolean() ? "idle" : "busy");
        context.Console.Write(table);
        return 0;
    }
}

/// <summary>`runner cancel SWEEP` and `runner resume SWEEP`.</summary>
public sealed class SweepActionCommand(string name, string summary, string endpoint, string done) : ICommand
{
    public static SweepActionCommand Cancel() => new("cancel", "cancel a sweep in a running cluster (finished results are kept)", "cancel", "cancelled");
    public static SweepActionCommand Resume() => new("resume", "wake a sweep so that its unfinished trials are scheduled again", "resume", "resumed");

    public string Name => name;
    public string Summary => summary;
    public string Description => $"""
        {char.ToUpperInvariant(summary[0])}{summary[1..]}. SWEEP is the id printed by `runner submit` or `runner status`.
        """;
    public IReadOnlyList<ArgumentSpec> Arguments => new ArgumentSpec[] { new("SWEEP", "the id printed by `runner submit` or `runner status`") };
    public IReadOnlyList<OptionSpec> Options => ClusterWiring.ClientOptions;

    public int Execute(Arguments args, CliContext context)
    {
        string sweep = args.Single("a SWEEP id");
        var s = CoordinatorClient.From(args).Expect(HttpMethod.Post, $"sweeps/{sweep}/{endpoint}");
        context.Out.WriteLine($"{sweep} {done}: completed {s.GetProperty("completed").GetInt32()}, pending {s.GetProperty("pending").GetInt32()}, cancelled {s.GetProperty("cancelled").GetInt32()} of {s.GetProperty("total").GetInt32()}");
        return 0;
    }
}
