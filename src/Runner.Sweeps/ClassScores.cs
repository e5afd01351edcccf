namespace Runner.Sweeps;

/// <summary>
/// Scores read from a confusion matrix (<c>confusion[true][predicted]</c> counts), as scikit-learn defines them:
/// accuracy, per-class recall ("per-class accuracy"), balanced accuracy (the mean recall over classes that occur) and
/// macro-F1 (the unweighted mean of each class's F1 over every target class; a class never predicted and never present
/// scores 0, as <c>f1_score(y, p, labels=classes, average="macro", zero_division=0)</c>).
/// </summary>
public static class ClassScores
{
    /// <summary>
    /// The most classes whose test confusion matrix a trial keeps (10,000 counts): a thousand-class matrix would be
    /// megabytes in every record; its scores (accuracy, macro F1, balanced and top-5 accuracy) are kept all the same.
    /// </summary>
    public const int MaxConfusionClasses = 100;

    public static double Accuracy(int[][] confusion)
    {
        long total = confusion.Sum(row => row.Sum(c => (long)c));
        return total == 0 ? double.NaN : (double)Enumerable.Range(0, confusion.Length).Sum(i => (long)confusion[i][i]) / total;
    }

    /// <summary>Each class's recall: the share of its examples predicted as it; null for a class with no examples.</summary>
    public static double?[] PerClassAccuracy(int[][] confusion) =>
        confusion.Select((row, i) => row.Sum() is var n and > 0 ? (double?)row[i] / n : null).ToArray();

    public static double BalancedAccuracy(int[][] confusion)
    {
        var recalls = PerClassAccuracy(confusion).Where(r => r != null).Select(r => r!.Value).ToList();
        return recalls.Count == 0 ? double.NaN : recalls.Average();
    }

    public static double MacroF1(int[][] confusion)
    {
        int k = confusion.Length;
        if (k == 0) return double.NaN;
        double sum = 0;
        for (int c = 0; c < k; c++)
        {
            long tp = confusion[c][c];
            long actual = confusion[c].Sum(x => (long)x);
            long predicted = Enumerable.Range(0, k).Sum(r => (long)confusion[r][c]);
            sum += actual + predicted == 0 ? 0 : 2.0 * tp / (actual + predicted);
        }
        return sum / k;
    }
}
