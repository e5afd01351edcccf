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
        Other("pretrained", 4, 3e-4, 100, 2, "failed"),
        Other("scratch", 0, 3e-4, 100, 2, "pending"),
    };

    static string Canonical(IEnumerable<TrialRecord> t) => JsonSerializer.Serialize(t,
        new JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals });

    [Fact]
    public void Csv_carries_every_trial_and_parameter_at_full_precision_and_reads_back_losslessly()
    {
        string csv = TrialExport.Csv(Trials);
        Assert.Contains("0.30000000000000004", csv);
        Assert.Equal(Canonical(Trials), Canonical(TrialExport.FromCsv(csv)));
    }

    [Fact]
    public void Json_reads_back_losslessly_including_nan_losses()
    {
        string json = TrialExport.Json(Trials);
        Assert.Contains("NaN", json);
        Assert.Equal(Canonical(Trials), Canonical(TrialExport.FromJson(json)));
    }
}
