using Runner.Results;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Runner.Sweeps;

namespace Runner.Reports.Export;

/// <summary>
/// Every trial with every parameter and metric, at full precision, as CSV (one row per trial) or JSON; both read
/// back into the same records (the epochs and the pretraining settings travel as JSON inside their CSV cells).
/// </summary>
public static class TrialExport
{
    static readonly JsonSerializerOptions Options = new()
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        WriteIndented = false,
    };

    static readonly string[] Columns =
    {
        "sweep_id", "trial_id", "status", "attempts", "worker", "failure",
        "model", "initialization", "freeze_depth", "learning_rate", "dataset_size", "epochs", "batch_size", "optimizer",
        "weight_decay", "momentum", "seed", "target_dataset", "target_classes", "validation_per_class", "pretrain",
        "strategy", "base_lr_factor", "unfreeze_every", "head", "dropout", "image_size", "augment", "weights_sha256", "weights_path", "data_path",
        "result_status", "test_accuracy", "test_loss", "best_val_accuracy", "best_epoch", "last_val_accuracy",
        "trainable_parameters", "total_parameters", "seconds", "device", "threads", "diverged_at_epoch", "message", "epoch_metrics",
    };

    public static string Json(IReadOnlyList<TrialRecord> trials) => JsonSerializer.Serialize(trials, new JsonSerializerOptions(Options) { WriteIndented = true });

    public static List<TrialRecord> FromJson(string json) => JsonSerializer.Deserialize<List<TrialRecord>>(json, Options)!;

    public static string Csv(IReadOnlyList<TrialRecord> trials)
    {
        var sb = new StringBuilder();
        sb.AppendLine(string.Join(",", Columns));
        foreach (var t in trials)
        {
            var s = t.Spec;
            var r = t.Result;
            string[] fields =
            {
                t.SweepId, t.TrialId, t.Status, N(t.Attempts), t.Worker ?? "", t.Failure ?? "",
                s.Model, s.Initialization, N(s.FreezeDepth), N(s.LearningRate), N(s.DatasetSize), N(s.Epochs), N(s.BatchSize), s.Optimizer,
                N(s.WeightDecay), N(s.Momentum), N(s.Seed), s.TargetDataset, string.Join(";", s.TargetClasses), N(s.ValidationPerClass),
                s.Pretrain == null ? "" : JsonSerializer.Serialize(s.Pretrain, Options),
                s.Strategy ?? "", N(s.BaseLrFactor), N(s.UnfreezeEvery), s.Head ?? "", N(s.Dropout), N(s.ImageSize), s.Augment ? "true" : "false",
                s.WeightsSha256 ?? "", s.WeightsPath ?? "", s.DataPath ?? "",
                r?.Status ?? "", N(r?.TestAccuracy), N(r?.TestLoss), N(r?.BestValAccuracy), N(r?.BestEpoch), N(r?.LastValAccuracy),
                N(r?.TrainableParameters), N(r?.TotalParameters), N(r?.Seconds), r?.Device ?? "", N(r?.Threads), N(r?.DivergedAtEpoch),
                r?.Message ?? "", r == null ? "" : JsonSerializer.Serialize(r.Epochs, Options),
            };
            sb.AppendLine(string.Join(",", fields.Select(CsvText.Quote)));
        }
        return sb.ToString();
    }

    public static List<TrialRecord> FromCsv(string csv)
    {
        var records = CsvText.Parse(csv);
        var index = records[0].Select((name, i) => (name, i)).ToDictionary(x => x.name, x => x.i);
        var trials = new List<TrialRecord>();
        foreach (var f in records.Skip(1).Where(r => r.Count == Columns.Length))
        {
            string Get(string c) => f[index[c]];
            string? Opt(string c) => Get(c).Length == 0 ? null : Get(c);
            int I(string c) => int.Parse(Get(c), CultureInfo.InvariantCulture);
            double D(string c) => double.Parse(Get(c), CultureInfo.InvariantCulture);
            double? OD(string c) => Opt(c) == null ? null : D(c);
            int? OI(string c) => Opt(c) == null ? null : I(c);
            var spec = new TrialSpec(Get("model"),
                Opt("pretrain") == null ? null : JsonSerializer.Deserialize<PretrainSpec>(Get("pretrain"), Options),
                Get("target_dataset"), Get("target_classes").Split(';').Select(int.Parse).ToArray(), I("validation_per_class"),
                Get("initialization"), I("freeze_depth"), D("learning_rate"), I("dataset_size"), I("epochs"), I("batch_size"),
                Get("optimizer"), D("weight_decay"), D("momentum"), I("seed"),
                Opt("strategy"), D("base_lr_factor"), I("unfreeze_every"), Opt("head"), D("dropout"), I("image_size"), Get("augment") == "true",
                Opt("weights_sha256"), Opt("weights_path"), Opt("data_path"));
            TrialResult? result = Opt("result_status") == null ? null : new TrialResult(Get("trial_id"), Get("result_status"),
                JsonSerializer.Deserialize<List<EpochMetrics>>(Get("epoch_metrics"), Options)!, OD("best_val_accuracy"), OI("best_epoch"),
                OD("last_val_accuracy"), OD("test_accuracy"), OD("test_loss"), long.Parse(Get("trainable_parameters"), CultureInfo.InvariantCulture),
                long.Parse(Get("total_parameters"), CultureInfo.InvariantCulture), D("seconds"), Get("device"), I("threads"),
                OI("diverged_at_epoch"), Opt("message"));
            trials.Add(new TrialRecord(Get("sweep_id"), Get("trial_id"), Get("status"), I("attempts"), Opt("worker"), spec, result, Opt("failure")));
        }
        return trials;
    }

    static string N(double? v) => v?.ToString("R", CultureInfo.InvariantCulture) ?? "";
    static string N(long? v) => v?.ToString(CultureInfo.InvariantCulture) ?? "";
    static string N(int? v) => v?.ToString(CultureInfo.InvariantCulture) ?? "";
}
