"""The articles of the HTML test corpus, as written for it (invented stories, no real
page copied): each one's true title, authors, date, body and caption. ``build.py``
wraps each in the markup of one kind of site."""

ARTICLES = [
    dict(
        title="Floods close river paths in York as Ouse keeps rising",
        authors=["Tom Ellery"], date="2024-03-14", caption="The River Ouse burst its banks near Skeldergate Bridge on Thursday morning",
        body=[
            "Riverside paths in York have been closed after the River Ouse rose more than four metres above its usual level, the city council said on Thursday.",
            "Council officers said the paths would stay shut until the water fell and engineers had checked the embankments for damage, which could take several days.",
            "Businesses prepare",
            "Pub landlords along King's Staith moved furniture upstairs overnight, a routine many of them said they now followed several times each winter.",
            "The Environment Agency said more rain was expected over the weekend and urged people not to walk or drive through flood water, however shallow it looked.",
        ],
    ),
    dict(
        title="Village bakery wins national bread award after forty years of sourdough",
        authors=["Priya Natarajan"], date="2023-11-02", caption="Maureen Cobb shapes loaves before dawn at the bakery on Church Lane",
        body=[
            "A bakery in the Cotswold village of Long Compton has been named the best independent bakery in the country, beating more than three hundred entries.",
            "Owner Maureen Cobb, who is 71, said she had used the same sourdough starter since 1983 and fed it every morning, including on Christmas Day.",
            "The judges praised a rye loaf made with flour milled four miles away and said the bakery showed how a village shop could sustain a community.",
            "Ms Cobb said the prize money would pay for a new oven, although she admitted she would miss the old one, which had been installed by her father.",
        ],
    ),
    dict(
        title="Night buses to return to Leeds suburbs from April",
        authors=["Daniel Okafor", "Ruth Camberley"], date="2024-01-22", caption=None,
        body=[
            "Night bus services to six suburbs of Leeds will return in April, two years after they were cut because of a shortage of drivers.",
            "The West Yorkshire Combined Authority said the routes would run every hour between midnight and five in the morning on Fridays and Saturdays.",
            "Shift workers at St James's Hospital had campaigned for the return, saying that taxis home after late shifts cost them up to a fifth of their pay.",
            "Operators said they had recruited ninety drivers since the summer, helped by a training scheme that pays trainees while they learn.",
        ],
    ),
    dict(
        title="Scientists map the songs of humpback whales off Tonga",
        authors=["Helen Marsh"], date="2022-08-09", caption="A humpback whale breaches near Vava'u during the breeding season",
        body=[
            "Marine biologists have recorded more than two thousand hours of humpback whale song in the waters around Tonga, the largest such archive from the South Pacific.",
            "The team found that songs spread from east to west across the ocean, with a new theme reaching Tonga about a year after it was first heard off Australia.",
            "What the songs are for",
            "Only males sing, and researchers believe the songs play a part in courtship, though nobody has yet shown that females choose mates by them.",
            "The recordings will be made public next year so that other groups can compare them with archives from the Atlantic and the Indian Ocean.",
        ],
    ),
    dict(
        title="Council approves plan for car-free streets around five primary schools",
        authors=["Gareth Price"], date="2024-05-30", caption=None,
        body=[
            "Streets outside five primary schools in Cardiff will close to cars at the start and end of each school day from September, councillors decided on Wednesday.",
            "The school streets scheme was tested at two schools last year, where the council said the number of children walking or cycling rose by a third.",
            "Some residents objected that the closures pushed traffic onto neighbouring roads, and the council promised to count vehicles there before and after.",
            "Blue badge holders, carers and delivery drivers with an appointment will still be allowed through, and wardens will staff the barriers for the first term.",
        ],
    ),
    dict(
        title="Oil prices slip as Asian demand worries outweigh supply cuts",
        authors=["Anita Kumar", "Mark Tessler"], date="2024-02-06", caption=None,
        body=[
            "Oil prices fell on Tuesday as weak factory figures from China raised fresh doubts about demand in Asia, outweighing the effect of production cuts by major exporters.",
            "Brent crude futures fell 68 cents, or 0.9%, to $77.31 a barrel by 1130 GMT, while U.S. West Texas Intermediate crude lost 71 cents to $72.07.",
            "Analysts said traders were also watching talks on a ceasefire in the Middle East, which could ease worries about shipping routes through the Red Sea.",
            "\"The market is caught between tight supply on paper and buyers who are simply not showing up,\" said one analyst at a London brokerage.",
            "Reporting by Anita Kumar in London and Mark Tessler in Singapore; Editing by Jane Merriman",
        ],
    ),
    dict(
        title="Chile's copper output falls for a third month",
        authors=["Lucia Herrera"], date="2023-09-29", caption=None,
        body=[
            "Copper production in Chile, the world's largest producer of the metal, fell 4.2% in August from a year earlier, the national statistics institute said on Friday.",
            "State miner Codelco has struggled with delays at new projects and lower ore grades at its older mines, which have been worked for more than a century.",
            "The government expects output to recover next year as expansions at two private mines in the north of the country come on stream.",
            "Reporting by Lucia Herrera; Editing by Toby Chopra",
        ],
    ),
    dict(
        title="Dutch court orders review of Schiphol night flight limits",
        authors=["Bart Meijer"], date="2024-04-11", caption=None,
        body=[
            "A Dutch court on Thursday ordered the government to review how it protects people living near Schiphol airport from aircraft noise at night.",
            "The judges said the state had for years put the interests of the aviation sector ahead of those of local residents, who had brought the case.",
            "The government has said it wants to cut the number of flights at the airport, but its plans have been challenged by airlines and by the United States.",
            "Reporting by Bart Meijer; Editing by Alex Richardson",
        ],
    ),
    dict(
        title="Harbour Road bridge to close for six weeks of repairs",
        authors=["Sandra Whitlow"], date="2024-06-03", caption="The Harbour Road bridge was built in 1962 and last repaired in 1998",
        body=[
            "The Harbour Road bridge will close to all traffic for six weeks from June 17 while crews replace its expansion joints and resurface the deck, county officials said.",
            "Drivers will be detoured along Mill Street and Route 9, adding about ten minutes to a trip between the east side and downtown during rush hour.",
            "Pedestrians and cyclists will be able to cross on a temporary walkway on the north side of the bridge for most of the work.",
            "The $2.4 million project is paid for mostly by a state grant. Officials said the work was timed to finish before the start of the school year.",
        ],
    ),
    dict(
        title="High school robotics team heads to world championship",
        authors=["Marcus Delgado"], date="2024-04-02", caption=None,
        body=[
            "A robotics team from Lincoln High School will compete at the world championship in Houston later this month after winning the state title in Springfield.",
            "The twelve students built a robot that picks up foam rings and stacks them on posts, and they spent most of their spring break testing it in the school gym.",
            "Team captain Ellie Brandt, a senior, said the hardest part had been writing software that let the robot find the posts on its own.",
            "The team still needs to raise about $8,000 for travel, and a fundraiser will be held at the Main Street diner on Saturday.",
        ],
    ),
    dict(
        title="Farmers market moves to Saturday mornings",
        authors=["Sandra Whitlow"], date="2023-05-12", caption=None,
        body=[
            "The downtown farmers market will move from Wednesday afternoons to Saturday mornings starting next month, the market board announced this week.",
            "Vendors had asked for the change because weekday sales had dropped since the Riverside plant moved to a day shift, board president Tom Acker said.",
            "The market will run from 8 a.m. to noon in the municipal lot behind City Hall, and parking on Elm Street will be free during those hours.",
        ],
    ),
    dict(
        title="What I learned from a year of mending my own clothes",
        authors=["Clara Benn"], date="2023-12-28", caption=None,
        body=[
            "Last January I promised myself I would not buy any new clothes for a year, and that anything that tore would be mended rather than thrown away.",
            "The first repair was a pair of jeans that had split at the knee. I used a patch from an old shirt and sewed it on the inside, which took me most of an evening.",
            "By the summer I had learned three stitches and could darn a sock well enough that nobody noticed. The trick, it turns out, is to work slowly and keep the tension loose.",
            "I did break the promise once, for a pair of walking boots. But I spent less than a hundred pounds on clothing all year, and I feel differently about the things I own.",
        ],
    ),
    dict(
        title="A beginner's guide to brewing tea at the right temperature",
        authors=["Kenji Watanabe"], date="2024-02-18", caption=None,
        body=[
            "Most people make green tea with water straight from the kettle, and most people find green tea bitter. These two facts are related.",
            "Green teas are best brewed at around 70 to 80 degrees Celsius. If you do not have a kettle with a temperature setting, let boiled water stand for about five minutes.",
            "Black teas and herbal infusions can take water at the boil, while delicate white teas sit somewhere in between.",
            "Steeping time matters as much as temperature. Start with two minutes for green tea, taste it, and adjust the next pot from there.",
        ],
    ),
    dict(
        title="Walking the length of Hadrian's Wall in winter",
        authors=["Owen Pritchard"], date="2023-02-20", caption=None,
        body=[
            "The Hadrian's Wall Path is eighty-four miles long, and in February you can walk most of it without meeting another hiker.",
            "I set off from Wallsend on a grey morning with a pack that was far too heavy and a guidebook that warned me against walking the path in winter at all.",
            "The warning is about the ground rather than the weather: the path crosses fields that turn to deep mud, and walkers are asked to keep off it when it is wet.",
            "I kept to the road for the worst stretches and reached Bowness-on-Solway six days later, tired, muddy and very glad I had gone.",
        ],
    ),
    dict(
        title="Regional airline to cut routes as fuel costs bite",
        authors=["Fiona Lachlan"], date="2024-03-05", caption=None,
        body=[
            "A regional airline that links islands off the west coast of Scotland will cut four of its routes from May, blaming the rising price of aviation fuel.",
            "The company said it had tried to keep fares down for two years but could no longer cover its costs on flights that were often less than half full.",
        ],
    ),
    dict(
        title="Inside the race to build cheaper batteries for grid storage",
        authors=["Nadia Osei"], date="2024-01-09", caption=None,
        body=[
            "A start-up in Sheffield says it has found a way to make batteries for grid storage from iron and salt water, materials that cost a fraction of lithium.",
            "The company's chief executive said a pilot plant would open this year and that the first batteries would be installed at a wind farm in Lincolnshire.",
        ],
    ),
    dict(
        title="Hospital waiting lists rise again despite extra clinics",
        authors=["Rebecca Thorne"], date="2023-10-12", caption=None,
        body=[
            "The number of people waiting for planned hospital treatment in England rose again in August, despite extra weekend clinics opened over the summer.",
            "Health managers said strikes by junior doctors had led to the postponement of more than a hundred thousand appointments since the spring.",
        ],
    ),
    dict(
        title="Ferry operator adds summer sailings to the Isles of Scilly",
        authors=["Jack Penrose"], date="2024-04-20", caption="The ferry leaves Penzance harbour on its first sailing of the season",
        body=[
            "The ferry company serving the Isles of Scilly will add a second daily sailing from Penzance on Saturdays in July and August, it said on Saturday.",
            "Island businesses had asked for more capacity after visitors were turned away last summer when the only sailing of the day was fully booked.",
            "The company said it would also trial a cheaper fare for islanders travelling to the mainland for hospital appointments.",
        ],
    ),
    dict(
        title="Wildfire forces evacuation of hillside villages near Athens",
        authors=["Eleni Kostas", "David Reyes"], date="2023-07-18", caption="Firefighters try to stop the flames reaching houses in the village of Kouvaras",
        body=[
            "Hundreds of people were ordered to leave their homes on Tuesday as a wildfire fanned by strong winds spread through pine forests south-east of Athens.",
            "The fire service said more than two hundred firefighters, backed by water-dropping aircraft, were trying to keep the flames away from houses.",
            "Temperatures in the region have topped 40 degrees Celsius for a week, and officials warned that the risk of new fires would stay very high.",
        ],
    ),
    dict(
        title="Rail fares to rise by 4.9% in March",
        authors=["Simon Hale"], date="2024-01-04", caption=None,
        body=[
            "Regulated rail fares in England will rise by 4.9% on the first Sunday in March, the government has announced, below the rate of inflation in July.",
            "Passenger groups said the rise would still hurt commuters whose pay had not kept up with prices, and called for a freeze.",
            "The Department for Transport said the increase had been kept down to help passengers while still paying for improvements to the network.",
        ],
    ),
    dict(
        title="The quiet revival of Britain's canal boatyards",
        authors=["Isobel Grant"], date="2023-06-14", caption=None,
        body=[
            "Ten years ago the boatyard at Braunston was down to two staff and a waiting list of none. Today it employs eleven people and is booked for eighteen months.",
            "The owners say the change came with a new generation of boaters who live aboard all year and want their narrowboats fitted out to last.",
            "Skills that were nearly lost, such as riveting steel hulls and painting roses and castles on cabin doors, are being taught again to apprentices.",
        ],
    ),
    dict(
        title="Museum returns carved panels to Benin City",
        authors=["Chidi Nwosu"], date="2022-11-28", caption="The carved panels on display before they were packed for the journey",
        body=[
            "A museum in Scotland has returned six carved wooden panels to Nigeria, more than a century after they were taken from Benin City by British troops.",
            "The panels were handed over at a ceremony attended by members of the Oba's court and Nigerian officials, who called the return a step towards healing.",
            "The museum said it had reviewed its collection and found no evidence that the panels had been acquired in a way that could be defended today.",
        ],
    ),
    dict(
        title="How a small newsroom covered a big flood",
        authors=["Amy Lindqvist", "Paul Ferrante", "Grace Ho"], date="2024-05-08", caption=None,
        body=[
            "When the river reached Main Street, the Valley Courier had four reporters, one photographer and a printing press in the basement.",
            "The paper moved its newsroom to the editor's kitchen and published online every hour, posting shelter locations and road closures as soon as they were confirmed.",
            "Road and shelter updates",
            "Readers sent in more than a thousand photos and messages in three days, and the staff checked each one before posting it.",
            "The editors say the flood changed how they work. They now keep a list of residents who agreed to report from their streets in an emergency.",
        ],
    ),
    dict(
        title="The long afterlife of a village phone box",
        authors=["Martha Quill", "Stephen Odell"], date="2023-08-21", caption=None,
        body=[
            "The red phone box in the village of Ashby Parva has not had a telephone in it since 2009. It has been a library, a seed exchange and, for one winter, a defibrillator station.",
            "Villagers bought it from the telephone company for a single pound and have repainted it twice, most recently with paint donated by a local garage.",
            "Its latest use is as a tiny gallery for the primary school, whose pupils change the display every term and write labels for each drawing.",
        ],
    ),
    dict(
        title="Why your houseplants are dying in winter",
        authors=["Beatrice Lang", "Omar Haddad", "Yuki Sato"], date="2024-01-15", caption=None,
        body=[
            "Houseplants that thrived all summer often start to droop in December, and the cause is usually not cold but too much water.",
            "Plants grow slowly in the short days of winter and need far less water than in summer. Soil that stays wet for weeks lets the roots rot.",
            "Central heating adds a second problem, drying the air so that leaf tips turn brown. A tray of damp pebbles under the pot helps more than misting.",
        ],
    ),
    dict(
        title="University researchers develop test for crop disease",
        authors=[], date="2024-02-27", caption=None,
        body=[
            "Researchers at the university's School of Biosciences have developed a quick test that can detect a fungal disease in wheat before the plants show symptoms.",
            "The test uses a paper strip, similar to a lateral flow test, and gives a result in about fifteen minutes from a sample of leaf tissue.",
            "Farmers in trials said the test could help them spray only the fields that needed it, saving money and reducing the use of fungicides.",
        ],
    ),
    dict(
        title="New scholarship fund for students from rural schools",
        authors=[], date="2023-09-05", caption=None,
        body=[
            "The university has launched a scholarship fund for students from rural schools, supported by a gift from a former student who grew up on a farm in Powys.",
            "The fund will cover accommodation costs for up to thirty first-year students each year, and recipients will be offered a mentor from among the alumni.",
            "Applications open in October and will be assessed on financial need as well as on a short written statement.",
        ],
    ),
    dict(
        title="Library extends opening hours during exam season",
        authors=[], date="2024-04-29", caption=None,
        body=[
            "The main library will be open around the clock from the first of May until the end of the summer exam period, the library service has announced.",
            "Extra study spaces will be provided in the sports hall, and quiet zones will be enforced by staff on every floor between midnight and eight in the morning.",
        ],
    ),
    dict(
        title="Storm Ciaran: thousands without power across the south coast",
        authors=["Hannah Little"], date="2023-11-02", caption="A fallen tree blocks a road in Worthing after winds of more than 80mph",
        body=[
            "More than a hundred and fifty thousand homes were without power on Thursday morning after Storm Ciaran brought winds of more than 80mph to the south coast.",
            "Engineers worked through the night to restore supplies, and the power company said most homes should be reconnected by the evening.",
            "Train services between Brighton and Portsmouth were suspended because of trees on the line, and several schools stayed closed.",
        ],
    ),
    dict(
        title="Tiny home village offers route out of homelessness",
        authors=["Rosa Jimenez"], date="2023-03-16", caption=None,
        body=[
            "Twenty tiny homes built on a former car park in the city centre will house people leaving homelessness, each with a kitchen, a shower and a front door that locks.",
            "The charity behind the project said having a space of one's own was the first step towards finding work and rebuilding relationships with family.",
            "Residents can stay for up to two years while support workers help them find permanent housing, and the homes can be moved to another site if the land is needed.",
        ],
    ),
]
