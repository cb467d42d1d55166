"""The mix of appeals a plan sees, shared by the demo data and the capacity simulator.

Shares follow REGULATORY.md section 10 where a figure exists; the rest are judgement.
"""

from appeals.choices import Kind, LineOfBusiness

LINE_WEIGHTS = {
    LineOfBusiness.MEDICARE_ADVANTAGE: 45,
    LineOfBusiness.MEDICARE_PART_D: 15,
    LineOfBusiness.MEDICAID: 25,
    LineOfBusiness.COMMERCIAL: 15,
}
KINDS_BY_LINE = {
    LineOfBusiness.MEDICARE_ADVANTAGE: (
        (Kind.PRE_SERVICE, 45),
        (Kind.POST_SERVICE, 45),
        (Kind.PART_B_DRUG, 10),
    ),
    LineOfBusiness.MEDICARE_PART_D: ((Kind.PRE_SERVICE, 70), (Kind.POST_SERVICE, 30)),
    LineOfBusiness.MEDICAID: ((Kind.PRE_SERVICE, 60), (Kind.POST_SERVICE, 40)),
    LineOfBusiness.COMMERCIAL: ((Kind.PRE_SERVICE, 50), (Kind.POST_SERVICE, 50)),
}
