using System.Text.Json;
using Runner.Reports.Export;
using Runner.Sweeps;
using Runner.Training.Engine;
using Spectre.Console;

namespace Runner.Cli.Commands;

public sealed class TrialCommand : ICommand
{
    public string Name => "trial";
    public string Summary => "run one trial in this process and print its metrics";
    public string Description => """
        Runs one transfer-learning trial with TorchSharp: pretrains the base on the source classes (once; the
        checkpoint is reused from the state folder), then trains on the target classes and reports validation and
        test accuracy. Either --sweep FILE --id TRIAL (a trial of a sweep file; an id prefix is enough when unique),
        or the trial's settings as flags (defaults in brackets), checked like a one-point sweep file.
        """;

    static readonly IReadOnlyList<string> TrialOptions = TrialFlags.Options.Select(o => o.Name).ToArray();

    public IReadOnlyList<OptionSpec> Options => new OptionSpec[]
    {
        new("sweep", "FILE", "take the trial from this sweep file (with --id)"),
        new("id", "TRIAL", "the trial's id or id prefix in --sweep (see `runner plan FILE`)"),
    }.Concat(TrialFlags.Options).Concat(new OptionSpec[]
    {
        new("data", "DIR", "Fashion-MNIST folder (else the sweep's target.data, $RUNNER_DATA, the user cache, /usr/share/datasets/fashion-mnist, then a download)"),
        new("state", "DIR", "state folder for artifacts [$RUNNER_STATE or .runner]"),
        new("device", "D", "auto | cpu | cuda | cuda:N [auto, or the sweep's resources.device]"),
        new("threads", "N", "torch threads, 0 = all cores [0]"),
        OptionSpec.Flag("json", "print the trial in the public trial schema (docs/results-schema.md)"),
        OptionSpec.Flag("no-progress", "plain output even on a terminal"),
        OptionSpec.Flag("tensorboard", "write TensorBoard event files under STATE/tensorboard/TRIAL_ID"),
        OptionSpec.Flag("no-feature-reuse", "run frozen stages every batch instead of training on their cached outputs"),
    }).ToArray();

    public int Execute(Arguments args, CliContext context)
    {
        args.NoPositional();
        if (!args.IsSet("sweep") && args.IsSet("id")) throw new UsageException("--id needs --sweep FILE");
        var (spec, sweepData, sweepDevice, sweepThreads) = args.IsSet("sweep") ? FromSweep(args, context)
            : (TrialFlags.Resolve(args, SweepLoader.Capacity(args.Get("data")), context.WorkingDirectory), null, null, null);
        string state = StateFolder.Resolve(args.Get("state"), context.WorkingDirectory);
        bool json = args.Has("json");
        var env = new TrialEnvironment(
            new DerivedFiles(StateFolder.Artifacts(state)),
            DataFolder: args.Get("data"),
            SweepDataFolder: sweepData,
            Device: args.Get("device") ?? sweepDevice ?? "auto",
            Threads: args.Int("threads", 0) ?? sweepThreads ?? 0,
            Log: message => context.Error.WriteLine(message),
            TensorBoardFolder: args.Has("tensorboard") ? StateFolder.TensorBoard(state) : null,
            ReuseFeatures: !args.Has("no-feature-reuse"));
        if (SweepRules.Device(env.Device) is { } problem) throw new UsageException($"--{problem}");

        var progress = new TrialProgress(context, spec, plain: json || args.Has("no-progress") || !context.IsTerminal, quiet: json);
        var result = progress.Run(onEpoch => TrialRunner.Run(spec, env, onEpoch, context.Cancel));

        if (json)
        {
            // The public trial schema, as `runner trials --format json` prints every trial of a sweep.
            context.Out.WriteLine(JsonSerializer.Serialize(new TrialExport.Document(TrialRow.SchemaVersion, null, new[] { TrialRow.From(spec, result) }),
                TrialExport.Options));
            return 0;
        }
        progress.PrintSummary(result);
        return 0;
    }

    static (TrialSpec, string?, string?, int?) FromSweep(Arguments args, CliContext context)
    {
        foreach (string option in TrialOptions)
            if (args.IsSet(option)) throw new UsageException($"--{option} cannot be combined with --sweep: the trial's settings come from the sweep file");
        string id = args.Get("id") ?? throw new UsageException("--sweep needs --id TRIAL (see `runner plan FILE` for the ids)");
        var definition = SweepLoader.Load(args.Get("sweep")!, args.Get("data"), context.Error);
        var matches = SweepExpander.Expand(definition).Where(t => t.Id.StartsWith(id, StringComparison.Ordinal)).ToList();
        if (matches.Count == 0) throw new UsageException($"sweep '{definition.Name}' has no trial with id {id} (see `runner plan {args.Get("sweep")}`)");
        if (matches.Count > 1) throw new UsageException($"id prefix {id} matches {matches.Count} trials: give more digits");
        return (matches[0], definition.Target.DataDir, definition.Resources.Device, definition.Resources.Threads);
    }
}
