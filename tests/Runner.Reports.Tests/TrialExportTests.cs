using Runner.Sweeps;
using Runner.Results;
using System.Text.Json;
using Runner.Reports.Export;
using static Runner.Testing.Fixtures;

namespace Runner.Reports.Tests;

public class TrialExportTests
{
    static readonly List<TrialRecord> Trials = new()
    {
        Done("pretrained", 2, 0.1 + 0.2, 10, 1, test: 1.0 / 3, val: 2.0 / 3),
        Done("scratch", 0, 1e-3, 1000, 7, test: 0.9, val: 0.8) with { Failure = "a \"quoted\", comma\nand newline" },
        Other("pretrained", 4, 3e-4, 100, 2, TrialStatus.Failed),
        Other("scratch", 0, 3e-4, 100, 2, TrialStatus.Pending),
        OwnData(),
    };

    /// <summary>A trial on an image list with every data setting away from its default: all images, uneven classes, a skipped file, transforms.</summary>
    static TrialRecord OwnData()
    {
        var done = Done("pretrained", 2, 1e-3, SweepParameters.AllImages, 3, test: 0.7, val: 0.6);
        var spec = done.Spec with
        {
            TargetDataset = "image-folder:0123456789abcdef", ImageSize = 32, DataPath = "/data/labels.csv", SkipBadImages = true,
            Transforms = new TransformSpec(37, ScaleMin: 0.25, ColorJitter: 0.25, Mean: [0.5f, 0.25f, 0.125f]),
        };
        return done with { TrialId = spec.Id, Spec = spec, Result = done.Result! with { TrialId = spec.Id, TrainPerClass = [10, 3, 10, 10, 10], SkippedImages = ["train/a/bad.png"] } };
    }

    /// <summary>What a reader can know of a trial: its public row and its id (a default left unnamed reads back named).</summary>
    static string Published(IEnumerable<TrialRecord> t) =>
        JsonSerializer.Serialize(t.Select(r => (TrialRow.From(r), r.Spec.Id)).Select(x => new { row = x.Item1, id = x.Id }), TrialExport.Options);

    [Fact]
    public void Csv_carries_every_trial_and_parameter_at_full_precision_and_reads_back_losslessly()
    {
        string csv = TrialExport.Csv(Trials);
        Assert.Contains("0.30000000000000004", csv);
        Assert.Equal(Published(Trials), Published(TrialExport.FromCsv(csv)));
    }

    [Fact]
    public void Json_reads_back_losslessly_including_nan_losses()
    {
        string json = TrialExport.Json(Trials, "s");
        Assert.Contains("NaN", json);
        Assert.Equal(Published(Trials), Published(TrialExport.FromJson(json)));
    }

    [Fact]
    public void Json_has_a_schema_version_and_one_object_per_trial_whose_keys_are_the_csv_columns_in_snake_case()
    {
        using var doc = JsonDocument.Parse(TrialExport.Json(Trials, "s"));
        Assert.Equal(TrialRow.SchemaVersion, doc.RootElement.GetProperty("schema_version").GetInt32());
        var rows = doc.RootElement.GetProperty("trials").EnumerateArray().ToList();
        Assert.Equal(Trials.Count, rows.Count);
        string header = TrialExport.Csv(Trials).Split('\n')[0].TrimEnd('\r');
        Assert.Equal(header, string.Join(",", rows[0].EnumerateObject().Select(p => p.Name)));
        Assert.Equal("pretrained", rows[0].GetProperty("initialization").GetString());
        Assert.Equal("completed", rows[0].GetProperty("status").GetString());
        Assert.Equal("feature-extraction", rows[0].GetProperty("strategy").GetString());
        var own = rows[^1];
        Assert.Equal(JsonValueKind.Null, own.GetProperty("dataset_size").ValueKind);   // dataset_size: all
        Assert.Equal([10, 3, 10, 10, 10], own.GetProperty("train_images_per_class").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(("skip", 37, 0.25), (own.GetProperty("on_bad_image").GetString(), own.GetProperty("transforms").GetProperty("resize").GetInt32(),
            own.GetProperty("transforms").GetProperty("color_jitter").GetDouble()));
        // No internal or derived fields of the records leak out.
        Assert.DoesNotContain(rows[0].EnumerateObject(), p => p.Name is "StrategyName" or "strategy_name" or "is_image_folder" or "frozen_features_key" or "spec" or "id");
    }

    [Fact]
    public void A_stopped_trial_is_published_as_stopped()
    {
        var done = Done("pretrained", 2, 1e-3, 10, 1, test: 0.5, val: 0.5);
        var stopped = done with { Status = TrialStatus.Stopped, Result = done.Result! with { Status = TrialStatus.Stopped } };
        using var doc = JsonDocument.Parse(TrialExport.Json(new[] { stopped }));
        Assert.Equal("stopped", doc.RootElement.GetProperty("trials")[0].GetProperty("status").GetString());
        Assert.Equal(TrialStatus.Stopped, TrialExport.FromCsv(TrialExport.Csv(new[] { stopped }))[0].Status);
    }
}
