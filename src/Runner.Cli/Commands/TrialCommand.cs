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
    public string Help => """
        Usage: runner trial --sweep FILE --id TRIAL [options]
               runner trial [--model convnet4] [--init pretrained|scratch] [--freeze-depth K] [--lr X]
                            [--dataset-size N] [--seed S] [--epochs E] [options]

        Runs one transfer-learning trial with TorchSharp: pretrains the base on the source classes (once; the
        checkpoint is reused from the state folder), then trains on the target classes and reports validation and
        test accuracy. With --sweep/--id the trial is taken from a sweep file (an id prefix is enough when unique).

        Trial settings (without --sweep; defaults in brackets):
          --model NAME             [convnet4]
          --init pretrained|scratch [pretrained]
          --freeze-depth K         leading stages frozen, 0..4 for convnet4 [0]
          --lr X                   learning rate [0.001]
          --dataset-size N         training images per target class [100]
          --seed S                 [0]
          --epochs E               [5]
          --batch-size B           [64]
          --optimizer adam|sgd     [adam]
          --weight-decay X         [0]
          --momentum X             SGD momentum [0.9]
          --strategy S             feature-extraction | fine-tune | gradual-unfreeze [feature-extraction]
          --base-lr-factor X       fine-tune: rate of the stages below --freeze-depth, × --lr [0.1]
          --unfreeze-every E       gradual-unfreeze: epochs between unfreezing one more stage [1]
          --head linear|mlp        the new head [linear]
          --dropout X              dropout in the head, in [0, 1) [0]
          --source-classes LIST    pretraining classes, indices or names [0,1,2,3,4]
          --target-classes LIST    target classes [5,6,7,8,9]
          --pretrain-epochs E      [3]
          --pretrain-lr X          [0.001]
          --validation-per-class N validation images carved per target class [100]

        Where and how:
          --data DIR               Fashion-MNIST folder (else the sweep's target.data, $RUNNER_DATA, the user
                                   cache, /usr/share/datasets/fashion-mnist, then a download)
          --state DIR              state folder for artifacts [$RUNNER_STATE or .runner]
          --device D               auto | cpu | cuda | cuda:N [auto, or the sweep's resources.device]
          --threads N              torch threads, 0 = all cores [0]
          --json                   print one JSON object with the final metrics and the per-epoch list
          --no-progress            plain output even on a terminal
          --tensorboard            write TensorBoard event files under STATE/tensorboard/TRIAL_ID
          --no-feature-reuse       run frozen stages every batch instead of training on their cached outputs
        """;

    static readonly IReadOnlyList<string> TrialOptions = TrialFlags.Flags;

    public IReadOnlyCollection<string> ValueOptions => TrialOptions.Concat(new[] { "sweep", "id", "data", "state", "device", "threads" }).ToArray();
    public IReadOnlyCollection<string> FlagOptions => new[] { "json", "no-progress", "tensorboard", "no-feature-reuse" };

    public int Execute(Arguments args, CliContext context)
    {
        args.NoPositional();
        if (!args.IsSet("sweep") && args.IsSet("id")) throw new UsageException("--id needs --sweep FILE");
        var (spec, sweepData, sweepDevice, sweepThreads) = args.IsSet("sweep") ? FromSweep(args)
            : (TrialFlags.Resolve(args, SweepLoader.Capacity(args.Get("data")), context.WorkingDirectory), null, null, null);
        string state = StateFolder.Resolve(args.Get("state"), context.WorkingDirectory);
        bool json = args.Has("json");
        var env = new TrialEnvironment(
            new ArtifactStore(StateFolder.Artifacts(state)),
            DataFolder: args.Get("data"),
            SweepDataFolder: sweepData,
            Device: args.Get("device") ?? sweepDevice ?? "auto",
            Threads: args.Int("threads", 0) ?? sweepThreads ?? 0,
            Log: message => context.Error.WriteLine(message),
            TensorBoardFolder: args.Has("tensorboard") ? StateFolder.TensorBoard(state) : null,
            ReuseFeatures: !args.Has("no-feature-reuse"));
        if (!DeviceNames.IsValid(env.Device)) throw new UsageException($"--device must be auto, cpu, cuda or cuda:N, got '{env.Device}'");

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

    static (TrialSpec, string?, string?, int?) FromSweep(Arguments args)
    {
        foreach (string option in TrialOptions)
            if (args.IsSet(option)) throw new UsageException($"--{option} cannot be combined with --sweep: the trial's settings come from the sweep file");
        string id = args.Get("id") ?? throw new UsageException("--sweep needs --id TRIAL (see `runner plan FILE` for the ids)");
        var definition = SweepLoader.Load(args.Get("sweep")!, args.Get("data"));
        var matches = SweepExpander.Expand(definition).Where(t => t.Id.StartsWith(id, StringComparison.Ordinal)).ToList();
        if (matches.Count == 0) throw new UsageException($"sweep '{definition.Name}' has no trial with id {id} (see `runner plan {args.Get("sweep")}`)");
        if (matches.Count > 1) throw new UsageException($"id prefix {id} matches {matches.Count} trials: give more digits");
        return (matches[0], definition.Target.DataDir, definition.Resources.Device, definition.Resources.Threads);
    }
}
