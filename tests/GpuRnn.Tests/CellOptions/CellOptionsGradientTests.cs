using GpuRnn.Tests.GradientChecks;
using Xunit;

namespace GpuRnn.Tests.CellOptions;

/// <summary>
/// Backpropagation through time of the cell options (layer norm, zoneout on h and c, LSTM cell
/// clipping), alone and together, with peepholes, projection, both GRU forms, bidirectional stacks,
/// variable lengths and initial states: float64 analytic gradients against central finite differences
/// over every element of every parameter, x, h0 and c0 (zoneout with the masks of one training forward).
/// </summary>
public class CellOptionsGradientTests
{
    private static readonly CellVariant[] Cells =
    [
        CellVariant.Lstm, CellVariant.LstmPeepholes, CellVariant.LstmProjection, CellVariant.LstmProjectionPeepholes,
        CellVariant.GruResetAfter, CellVariant.GruResetBefore,
    ];

    /// <summary>Option sets by name: layer norm, zoneout, clip and all three.</summary>
    public static CellOptionsCase Options(string name, CellVariant cell)
    {
        var lstm = cell.Kind() == RnnCellKind.Lstm;
        return name switch
        {
            "layer_norm" => new(true, 0, 0, 0),
            "zoneout" => new(false, 0.3, lstm ? 0.4 : 0, 0),
            "clip" => new(false, 0, 0, 0.35),
            _ => new(true, 0.25, lstm ? 0.35 : 0, lstm ? 0.4 : 0),
        };
    }

    public static TheoryData<CellVariant, string, int, bool, bool, bool, bool> Configurations
    {
        get
        {
            var data = new TheoryData<CellVariant, string, int, bool, bool, bool, bool>();
            foreach (var cell in Cells)
                foreach (var options in new[] { "layer_norm", "zoneout", "clip", "all" })
                {
                    if (options == "clip" && cell.Kind() != RnnCellKind.Lstm) continue;
                    if (cell == CellVariant.GruResetBefore && options is "layer_norm" or "all") continue;
                    data.Add(cell, options, 1, true, false, true, true);
                    // A clipped cell within a difference step of ±k puts a kink inside the stencil; the
                    // deeper row has enough cells near ±k that some seeds do, so clipping is checked on the
                    // one-layer row only (it is in "all" there too).
                    var clips = options == "clip" || (options == "all" && cell.Kind() == RnnCellKind.Lstm);
                    if (!clips) data.Add(cell, options, 2, true, true, false, true);
                }
            return data;
        }
    }

    [Theory, MemberData(nameof(Configurations))]
    public void EveryGradientMatchesCentralFiniteDifferences(CellVariant cell, string options, int layers, bool bidirectional, bool bias,
        bool variableLengths, bool initialStates)
    {
        var @case = new RnnCase(cell, layers, bidirectional, bias, variableLengths, initialStates, Options(options, cell));
        using var problem = RecurrentProblem.Create(@case, TestRandom.Create());
        problem.AssertGradientsMatchFiniteDifferences();
    }
}
