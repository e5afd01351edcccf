namespace Runner.Sweeps.Tests;

/// <summary>Class scores from a confusion matrix, checked against values worked out by hand (scikit-learn's definitions).</summary>
public class ClassScoresTests
{
    // Rows: true class; columns: predicted. Class 0: 8 of 10 right; class 1: 9 of 10; class 2: 2 of 4 (unbalanced).
    static readonly int[][] Confusion = [[8, 2, 0], [1, 9, 0], [1, 1, 2]];

    [Fact]
    public void Accuracy_per_class_accuracy_and_balanced_accuracy()
    {
        Assert.Equal(19.0 / 24, ClassScores.Accuracy(Confusion), 12);
        Assert.Equal(new double?[] { 0.8, 0.9, 0.5 }, ClassScores.PerClassAccuracy(Confusion));
        Assert.Equal((0.8 + 0.9 + 0.5) / 3, ClassScores.BalancedAccuracy(Confusion), 12);
    }

    [Fact]
    public void Macro_f1_is_the_unweighted_mean_of_each_classes_f1()
    {
        // F1 = 2·TP / (actual + predicted): class 0: 16 / (10 + 10); class 1: 18 / (10 + 12); class 2: 4 / (4 + 2).
        Assert.Equal((16.0 / 20 + 18.0 / 22 + 4.0 / 6) / 3, ClassScores.MacroF1(Confusion), 12);
    }

    [Fact]
    public void A_class_absent_from_the_split_is_left_out_of_balanced_accuracy_and_scores_zero_f1_when_never_predicted()
    {
        int[][] confusion = [[5, 0, 0], [0, 5, 0], [0, 0, 0]];
        Assert.Equal(new double?[] { 1, 1, null }, ClassScores.PerClassAccuracy(confusion));
        Assert.Equal(1.0, ClassScores.BalancedAccuracy(confusion), 12);
        Assert.Equal(2.0 / 3, ClassScores.MacroF1(confusion), 12);
    }
}
